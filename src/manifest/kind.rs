//! The manifest's side of the check-kind contract.
//!
//! The manifest knows the keys every `[[check]]` shares (`id`, `kind`, `severity`,
//! ...) but nothing of any kind: each kind (in `crate::checks`) describes itself to
//! the loader with a [`KindDef`]: its name, its own keys, its default timeout and a
//! `parse` function that validates its keys into its settings value `S`. Whoever
//! loads a manifest passes the table of kinds in, so the manifest never imports the
//! checks, and a new kind never touches this module.
//!
//! A kind's `parse` reads its keys through a [`KindInput`], which records located
//! problems like every other part of the loader (so all of them are reported at
//! once), and may also record lints: what `golive validate` says about settings that
//! load but are probably wrong (kept only when the manifest has no error).

use std::path::Path;
use std::time::Duration;

use super::diagnostic::DiagLevel;
use super::lint::Lint;
pub(crate) use super::raw::{self, Diags, Field, Table};
use crate::codes::Code;

/// How one check kind appears in the manifest.
pub struct KindDef<S> {
    /// The kind's name, as `kind = "..."` spells it.
    pub name: &'static str,
    /// One line saying what the kind checks, for `golive list` and docs.
    pub about: &'static str,
    /// The kind's own keys, in documentation order (besides the common ones).
    pub keys: &'static [&'static str],
    /// The check's `timeout` when it sets none.
    pub default_timeout: Duration,
    /// Validates the kind's keys into its settings; `None` when any is wrong (the
    /// input then holds the problems).
    pub parse: fn(&mut KindInput<'_, '_, '_>) -> Option<S>,
}

impl<S> std::fmt::Debug for KindDef<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindDef")
            .field("name", &self.name)
            .field("keys", &self.keys)
            .field("default_timeout", &self.default_timeout)
            .finish_non_exhaustive()
    }
}

/// A `[[check]]` table as its kind's `parse` sees it.
pub struct KindInput<'x, 'a, 'i> {
    table: &'x Table<'a, 'i>,
    diags: &'x mut Diags,
    lints: &'x mut Vec<Lint>,
    ok: bool,
    context: String,
    /// The check's id (empty when it has no valid one: the check is refused anyway).
    pub id: &'x str,
    /// The manifest's folder, against which relative paths resolve.
    pub base_dir: &'x Path,
    /// Today (UTC), for lints about dates.
    pub today: jiff::civil::Date,
}

impl<'x, 'a, 'i> KindInput<'x, 'a, 'i> {
    /// An input over `table`, for a check of kind `kind`.
    pub(crate) fn new(
        kind: &str,
        table: &'x Table<'a, 'i>,
        id: &'x str,
        base_dir: &'x Path,
        today: jiff::civil::Date,
        diags: &'x mut Diags,
        lints: &'x mut Vec<Lint>,
    ) -> Self {
        KindInput {
            table,
            diags,
            lints,
            ok: true,
            context: format!("in a `{kind}` check"),
            id,
            base_dir,
            today,
        }
    }

    /// Whether every key read so far was valid.
    pub(crate) fn ok(&self) -> bool {
        self.ok
    }

    /// The key `key` through `parse`, when present; a value that does not parse is
    /// recorded and makes the check invalid.
    pub(crate) fn optional<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&Field<'a, 'i>, &mut Diags) -> Option<T>,
    ) -> Option<T> {
        self.table.optional(key, &mut self.ok, self.diags, parse)
    }

    /// Like [`KindInput::optional`], but an absent key is a problem too.
    pub(crate) fn required<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&Field<'a, 'i>, &mut Diags) -> Option<T>,
    ) -> Option<T> {
        self.table
            .required(key, &self.context, &mut self.ok, self.diags, parse)
    }

    /// Records a lint at the value of the first of `keys` that is present (at the
    /// check's `id` otherwise).
    pub(crate) fn lint(
        &mut self,
        keys: &[&str],
        level: DiagLevel,
        code: &Code,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let span = keys
            .iter()
            .chain(["id"].iter())
            .find_map(|k| self.table.get(k))
            .map_or(self.table.span.clone(), |f| f.value.span());
        self.lints.push(Lint {
            span,
            level,
            code: code.code,
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// A kind's `parse` for tests: the settings, or every problem's message.
#[cfg(test)]
pub(crate) fn parse_for_test<S>(
    def: &KindDef<S>,
    body: &str,
    base_dir: &Path,
) -> Result<(S, Vec<String>), Vec<String>> {
    let (root, errors) = toml::de::DeTable::parse_recoverable(body);
    assert!(errors.is_empty(), "{errors:?}");
    let t = Table::new(root.get_ref(), 0..0);
    let mut d = Diags::default();
    let mut lints = Vec::new();
    let today = jiff::civil::date(2026, 12, 1);
    let mut input = KindInput::new(def.name, &t, "x", base_dir, today, &mut d, &mut lints);
    let settings = (def.parse)(&mut input);
    let ok = input.ok();
    match settings {
        Some(s) if ok && d.items.is_empty() => {
            Ok((s, lints.into_iter().map(|l| l.message).collect()))
        }
        _ => Err(d.items.into_iter().map(|(_, m)| m).collect()),
    }
}

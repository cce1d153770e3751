//! Lints: what `golive validate` reports about a manifest that loaded.
//!
//! A manifest can be well formed and still be certainly or probably wrong: a
//! production env on the sandbox host, an allowlist that allows everything, a wallet
//! whose warning threshold is below its minimum (the warning can never fire), an
//! expired waiver, an attestation left as the starter wrote it. None of these needs
//! the network or a secret, so `golive validate` says so before anything runs.
//!
//! Lints run only on a manifest without errors, and are located like errors (at the
//! offending key or value). They reuse the runtime checks' logic and finding codes
//! wherever one exists (`host-tier-mismatch`, the `allowlist-*` codes,
//! `waiver-expired`, `attestation-missing`, `credentials-shared`).
//!
//! Levels: an **error** where the manifest itself is certainly wrong whatever happens
//! outside it (no env, no check, a host of the other tier, an allowlist of `/0`, the
//! key and the secret read from one place, a sign-off dated in the future); a
//! **warning** where it is probably wrong or simply not done yet. `golive check` does
//! not act on lints: its own findings report the same problems with evidence.

use std::ops::Range;

use toml::de::DeValue;

use super::diagnostic::DiagLevel;
use super::model::{EnvSpec, Manifest};
use super::raw::{Field, Table};
use crate::codes::{self, Code};
use crate::finding::Level;
use crate::secret::SecretRef;
use crate::tier::Tier;

/// One lint, located by byte span.
#[derive(Debug, Clone)]
pub(crate) struct Lint {
    /// Where it is.
    pub(crate) span: Range<usize>,
    /// Error or warning.
    pub(crate) level: DiagLevel,
    /// The finding code.
    pub(crate) code: &'static str,
    /// What is wrong. Never holds a secret or a variable name.
    pub(crate) message: String,
    /// How to fix it.
    pub(crate) fix: String,
}

/// Collects lints.
struct Lints(Vec<Lint>);

impl Lints {
    fn push(
        &mut self,
        span: Range<usize>,
        level: DiagLevel,
        code: &Code,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Lint {
            span,
            level,
            code: code.code,
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// The lints of a validated manifest. `root` is the raw tree it was built from (for
/// spans); `today` is the current UTC date.
/// `kinds` are the lints the check kinds recorded while their settings were read.
pub(crate) fn lint<S>(
    root: &Table<'_, '_>,
    m: &Manifest<S>,
    today: jiff::civil::Date,
    kinds: Vec<Lint>,
) -> Vec<Lint> {
    let mut out = Lints(kinds);
    if m.envs.is_empty() {
        out.push(
            0..0,
            DiagLevel::Error,
            &codes::MANIFEST_NO_ENVS,
            "the manifest defines no env, so `golive check` has nothing to run against",
            "add an env: `[env.demo]` with `tier = \"sandbox\"` and `simulator = true` runs every check against golive's simulator; `[env.sandbox]` with `tier = \"sandbox\"` and your credentials runs them against the sandbox",
        );
    }
    if m.checks.is_empty() {
        out.push(
            0..0,
            DiagLevel::Error,
            &codes::MANIFEST_NO_CHECKS,
            "the manifest defines no [[check]], so it can never be a gate (`golive check` refuses to run without one)",
            "add at least one [[check]], e.g. `id = \"credentials\"` and `kind = \"credentials\"`; `golive init` writes a starter with every kind",
        );
    }
    let env_tables = sub_tables(root.get("env"));
    for env in &m.envs {
        let Some(t) = env_tables.iter().find(|(name, _)| *name == env.name) else {
            continue;
        };
        env_lints(env, &t.1, &mut out);
    }
    shared_credentials(m, &env_tables, &mut out);
    let waiver_tables = array_tables(root.get("waiver"));
    for (w, t) in m.waivers.iter().zip(&waiver_tables) {
        if w.expires < today {
            let span = t.get("expires").map_or(t.span.clone(), |f| f.value.span());
            out.push(
                span,
                DiagLevel::Warning,
                &codes::WAIVER_EXPIRED,
                format!(
                    "the waiver for `{}` expired on {} (today is {today}, UTC): it no longer hides the check's result",
                    w.check, w.expires
                ),
                "fix the check's problem and remove the waiver, or renew it with a new expires date, reason and owner",
            );
        }
    }
    let mut lints = out.0;
    lints.sort_by_key(|l| l.span.start);
    lints
}

/// Lints of one env: its host against its tier, its key and secret sources, its
/// allowlist. Simulator envs have none of these settings.
fn env_lints(env: &EnvSpec, t: &Table<'_, '_>, out: &mut Lints) {
    if let Some(url) = &env.base_url
        && let Some(host_tier) = Tier::of_host(url)
        && host_tier != env.tier
    {
        let span = t.get("base_url").map_or(t.span.clone(), |f| f.value.span());
        out.push(
            span,
            DiagLevel::Error,
            &codes::HOST_TIER_MISMATCH,
            format!(
                "env `{}` has tier \"{}\" but its base_url is the {} host {}",
                env.name,
                env.tier,
                host_tier,
                host_tier.canonical_host()
            ),
            format!(
                "remove base_url (it defaults to {}), or set tier = \"{host_tier}\" if this env really is {host_tier}",
                env.tier.canonical_url()
            ),
        );
    }
    if let (Some(key), Some(secret)) = (&env.api_key, &env.api_secret)
        && key == secret
    {
        let span = t
            .get("api_secret")
            .map_or(t.span.clone(), |f| f.value.span());
        let what = match key {
            SecretRef::Env(_) => "environment variable",
            SecretRef::File(_) => "file",
        };
        out.push(
            span,
            DiagLevel::Error,
            &codes::API_SECRET_SAME_AS_KEY,
            format!(
                "env `{}`: api_secret reads the same {what} as api_key; the key and the secret are two different values, so login can never succeed",
                env.name
            ),
            "point api_secret at the variable or file that holds the secret, e.g. api_key = { env = \"API_KEY_PROD\" } and api_secret = { env = \"API_SECRET_PROD\" }",
        );
    }
    if let Some(list) = &env.egress_allowlist
        && !list.is_empty()
    {
        let items: Vec<Range<usize>> = match t.get("egress_allowlist").map(|f| f.value.get_ref()) {
            Some(DeValue::Array(items)) => items.iter().map(|i| i.span()).collect(),
            _ => Vec::new(),
        };
        for (i, f) in crate::allowlist::allowlist_entry_findings(list) {
            let Some(code) = codes::find(&f.code) else {
                continue;
            };
            let level = if f.level == Level::Fail {
                DiagLevel::Error
            } else {
                DiagLevel::Warning
            };
            let span = items.get(i).cloned().unwrap_or(t.span.clone());
            out.push(
                span,
                level,
                code,
                format!("env `{}`: {}", env.name, f.message),
                code.fix,
            );
        }
    }
}

/// `credentials-shared`: a production env reading its key or secret from the same
/// variable or file as a sandbox env. Reported at the production env's reference.
fn shared_credentials<S>(m: &Manifest<S>, tables: &[(&str, Table<'_, '_>)], out: &mut Lints) {
    let real: Vec<&EnvSpec> = m.envs.iter().filter(|e| !e.simulator).collect();
    for prod in real.iter().filter(|e| e.tier == Tier::Production) {
        for sandbox in real.iter().filter(|e| e.tier == Tier::Sandbox) {
            for (key, mine, theirs) in [
                ("api_key", &prod.api_key, &sandbox.api_key),
                ("api_secret", &prod.api_secret, &sandbox.api_secret),
            ] {
                let (Some(mine), Some(theirs)) = (mine, theirs) else {
                    continue;
                };
                if mine != theirs {
                    continue;
                }
                let span = tables
                    .iter()
                    .find(|(n, _)| *n == prod.name)
                    .and_then(|(_, t)| t.get(key).map(|f| f.value.span()))
                    .unwrap_or(0..0);
                out.push(
                    span,
                    DiagLevel::Error,
                    &codes::CREDENTIALS_SHARED,
                    format!(
                        "production env `{}` reads its {key} from the same source as sandbox env `{}`",
                        prod.name, sandbox.name
                    ),
                    "give each tier its own key pair from its own secret (e.g. API_KEY_SANDBOX and API_KEY_PROD)",
                );
            }
        }
    }
}

/// The tables of a `[NAME.*]` table, with their names.
fn sub_tables<'a, 'i>(f: Option<&Field<'a, 'i>>) -> Vec<(&'a str, Table<'a, 'i>)> {
    let Some(DeValue::Table(t)) = f.map(|f| f.value.get_ref()) else {
        return Vec::new();
    };
    Table::new(t, 0..0)
        .fields
        .into_iter()
        .filter_map(|f| match f.value.get_ref() {
            DeValue::Table(inner) => Some((f.key, Table::new(inner, f.value.span()))),
            _ => None,
        })
        .collect()
}

/// The tables of a `[[NAME]]` array, in file order.
fn array_tables<'a, 'i>(f: Option<&Field<'a, 'i>>) -> Vec<Table<'a, 'i>> {
    let Some(DeValue::Array(items)) = f.map(|f| f.value.get_ref()) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, v.span())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::kinds;
    use super::super::validate::manifest_on;
    use super::*;

    const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 29);

    /// `(line, level, code)` of every lint of a manifest that must load.
    fn lints(text: &str) -> Vec<(usize, DiagLevel, &'static str)> {
        let m = match manifest_on(text, Path::new("m.toml"), TODAY, &kinds()) {
            Ok(m) => m,
            Err(e) => panic!("{e:?}"),
        };
        m.lints
            .iter()
            .map(|d| (d.line, d.level, d.code.expect("every lint has a code")))
            .collect()
    }

    const HEAD: &str = "version = 1\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n";
    const CHECK: &str = "[[check]]\nid = \"c\"\nkind = \"credentials\"\n";

    #[test]
    fn a_clean_manifest_has_no_lints() {
        assert!(lints(&format!("{HEAD}{CHECK}")).is_empty());
    }

    #[test]
    fn no_env_and_no_check_are_errors() {
        assert_eq!(
            lints("version = 1\n"),
            [
                (1, DiagLevel::Error, "manifest-no-envs"),
                (1, DiagLevel::Error, "manifest-no-checks")
            ]
        );
    }

    #[test]
    fn inverted_balance_thresholds_warn_at_warn_balance() {
        let text = format!(
            "{HEAD}[[check]]\nid = \"w\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\nwarn_balance = 500.0\n"
        );
        assert_eq!(
            lints(&text),
            [(10, DiagLevel::Warning, "balance-thresholds-inverted")]
        );
        let equal = text.replace("500.0", "1000.0");
        assert_eq!(
            lints(&equal).len(),
            1,
            "equal thresholds can never warn either"
        );
        assert!(lints(&text.replace("500.0", "1500.0")).is_empty());
    }

    #[test]
    fn env_lints_reuse_the_runtime_codes() {
        let text = format!(
            "version = 1\n[env.prod]\ntier = \"production\"\nbase_url = \"https://SANDBOX-api.octopuscards.io.\"\napi_key = {{ env = \"K\" }}\napi_secret = {{ env = \"K\" }}\negress_allowlist = [\"0.0.0.0/0\", \"10.0.0.0/8\", \"203.0.113.5/24\", \"203.0.113.0/28\"]\n{CHECK}"
        );
        let found = lints(&text);
        let codes: Vec<(usize, &str)> = found.iter().map(|(l, _, c)| (*l, *c)).collect();
        assert_eq!(
            codes,
            [
                (4, "host-tier-mismatch"),
                (6, "api-secret-same-as-key"),
                (7, "allowlist-too-broad"),
                (7, "allowlist-too-broad"),
                (7, "allowlist-private-range"),
                // Each at its entry: the overlap of the first two at the second.
                (7, "allowlist-overlap"),
                (7, "allowlist-host-bits"),
                (7, "allowlist-overlap"),
                (7, "allowlist-overlap"),
                (7, "allowlist-overlap"),
            ],
            "{found:?}"
        );
        assert_eq!(found[0].1, DiagLevel::Error);
        assert_eq!(found[2].1, DiagLevel::Error, "/0 fails at run time too");
        assert_eq!(found[3].1, DiagLevel::Warning, "a /8 only warns");
    }

    #[test]
    fn a_production_env_sharing_a_sandbox_reference_is_credentials_shared() {
        let text = format!(
            "version = 1\n[env.sb]\ntier = \"sandbox\"\napi_key = {{ env = \"KEY\" }}\n[env.prod]\ntier = \"production\"\napi_key = {{ env = \"KEY\" }}\n{CHECK}"
        );
        assert_eq!(lints(&text), [(7, DiagLevel::Error, "credentials-shared")]);
    }

    #[test]
    fn waivers_and_attestations_are_judged_on_today() {
        let text = format!(
            "{HEAD}[[check]]\nid = \"kyc\"\nkind = \"attestation\"\nevidence = \"https://t/1\"\nsigned_off_by = \"ops\"\ndate = 2026-11-30\n[[waiver]]\ncheck = \"kyc\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-11-28\n"
        );
        assert_eq!(
            lints(&text),
            [
                (10, DiagLevel::Error, "attestation-missing"),
                (15, DiagLevel::Warning, "waiver-expired")
            ]
        );
        // Today itself is fine for both: a waiver is inclusive, a sign-off may be today.
        let today = text
            .replace("2026-11-30", "2026-11-29")
            .replace("2026-11-28", "2026-11-29");
        assert!(lints(&today).is_empty());
    }

    #[test]
    fn unfilled_attestations_warn_once_each() {
        let text = format!(
            "{HEAD}[[check]]\nid = \"kyc\"\nkind = \"attestation\"\nevidence = \"TODO\"\nsigned_off_by = \"ops\"\ndate = 2026-11-20\n"
        );
        assert_eq!(
            lints(&text),
            [(8, DiagLevel::Warning, "attestation-missing")]
        );
    }

    #[test]
    fn the_starter_warns_only_about_its_own_placeholders_and_the_repo_manifest_is_clean() {
        let starter = manifest_on(
            include_str!("../starter.toml"),
            Path::new("checks.toml"),
            TODAY,
            &kinds(),
        )
        .expect("the starter loads");
        assert_eq!(starter.lints.len(), 5);
        assert!(
            starter
                .lints
                .iter()
                .all(|d| d.level == DiagLevel::Warning && d.code == Some("attestation-missing"))
        );
        let repo = manifest_on(
            include_str!("../../checks.toml"),
            Path::new("checks.toml"),
            TODAY,
            &kinds(),
        )
        .expect("the repository manifest loads");
        assert!(repo.lints.is_empty(), "{:?}", repo.lints);
    }
}

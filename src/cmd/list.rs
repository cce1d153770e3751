//! `golive list`: the checks that would run for an environment, one line each;
//! `--kinds`: the check kinds of `checks::KINDS`.

use crate::checks;
use crate::cli::ListArgs;
use crate::exit::Exit;
use crate::report;
use crate::runner;

use super::{Failure, load, pick_env, print_stdout, usage};

/// Runs `golive list`.
pub(crate) fn list(args: &ListArgs) -> Result<Exit, Failure> {
    if args.kinds {
        return print_stdout(&kinds());
    }
    let m = load(&args.manifest)?;
    let env = pick_env(&m, args.env.as_deref())?;
    let planned = runner::plan(&m, &env.name, &[], &[]).map_err(|e| usage(e.to_string()))?;
    let width = planned
        .iter()
        .map(|p| p.spec.id.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, report::human::MAX_COLUMN);
    let mut text = format!(
        "{:width$}  {:13}  {:8}  {}\n",
        "ID", "KIND", "SEVERITY", "TAGS"
    );
    for p in &planned {
        let tags = p.spec.tags.join(",");
        let note = p
            .skip
            .as_ref()
            .map(|s| format!("  (skip: {s})"))
            .unwrap_or_default();
        text.push_str(&format!(
            "{:width$}  {:13}  {:8}  {}{note}\n",
            p.spec.id,
            p.spec.kind,
            p.spec.severity.as_str(),
            if tags.is_empty() { "-" } else { &tags }
        ));
    }
    let runs = planned.iter().filter(|p| p.skip.is_none()).count();
    text.push_str(&format!(
        "{runs} of {} checks run for env `{}` ({})\n",
        planned.len(),
        env.name,
        env.tier
    ));
    print_stdout(&text)
}

/// Every check kind: its name, default timeout and what it checks, then its own
/// keys (besides the keys every check takes, listed last).
fn kinds() -> String {
    let width = checks::KINDS
        .iter()
        .map(|k| k.def.name.len())
        .max()
        .unwrap_or(4);
    let mut text = format!("{:width$}  {:7}  {}\n", "KIND", "TIMEOUT", "CHECKS THAT");
    for k in checks::KINDS {
        let def = &k.def;
        text.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            def.name,
            crate::duration::format(def.default_timeout),
            def.about
        ));
        let keys = if def.keys.is_empty() {
            "none".to_string()
        } else {
            def.keys.join(", ")
        };
        text.push_str(&format!("{:width$}  {:7}  keys: {keys}\n", "", ""));
    }
    let common = checks::accepted_keys()
        .into_iter()
        .find(|(table, _)| *table == "check")
        .map(|(_, keys)| keys.join(", "))
        .unwrap_or_default();
    text.push_str(&format!(
        "{} kinds; every check also takes {common}\n",
        checks::KINDS.len()
    ));
    text
}

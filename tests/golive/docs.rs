//! The README's manifest key reference and the manifest loader cannot drift: every
//! key the loader accepts has a row in the README table of its table or kind, every
//! row names a key the loader accepts there, and every check kind has a section.
//! The README's "Guarantees" table cannot drift from the tests that prove it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const README: &str = include_str!("../../README.md");

/// The table a `#### ...` heading of the key reference documents, named as
/// `golive::checks::accepted_keys` names it.
fn table_of(heading: &str) -> String {
    if let Some(rest) = heading.split("kind = \"").nth(1) {
        return rest.split('"').next().unwrap_or_default().to_string();
    }
    match heading {
        "Top level" => "top",
        "`[env.NAME]`" => "env",
        "`[client]`" => "client",
        "`[[check]]`: every kind" => "check",
        "`[[waiver]]`" => "waiver",
        other => panic!("unexpected heading in the key reference: {other}"),
    }
    .to_string()
}

/// The key reference: for each documented table, the keys of its rows, in order.
fn documented() -> BTreeMap<String, Vec<String>> {
    let start = README
        .find("### Key reference")
        .expect("README.md has a `### Key reference` section");
    let section = &README[start..];
    let end = section.find("\n## ").unwrap_or(section.len());
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in section[..end].lines() {
        if let Some(heading) = line.strip_prefix("#### ") {
            let name = table_of(heading.trim());
            assert!(!tables.contains_key(&name), "`{name}` is documented twice");
            tables.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let (Some(name), Some(row)) = (&current, line.strip_prefix("| `")) {
            let key = row.split('`').next().unwrap_or_default().to_string();
            tables.get_mut(name).expect("current table").push(key);
        }
    }
    tables
}

#[test]
fn every_accepted_key_is_documented_and_every_documented_key_is_accepted() {
    let docs = documented();
    let accepted = golive::checks::accepted_keys();
    for (table, keys) in &accepted {
        let rows = docs
            .get(*table)
            .unwrap_or_else(|| panic!("README.md's key reference has no section for `{table}`"));
        let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let mut found = rows.clone();
        expected.sort();
        found.sort();
        assert_eq!(
            found, expected,
            "README.md's key table for `{table}` (left) differs from the keys the loader accepts (right)"
        );
    }
    let known: Vec<&str> = accepted.iter().map(|(t, _)| *t).collect();
    for table in docs.keys() {
        assert!(
            known.contains(&table.as_str()),
            "README.md documents `{table}`, which the loader does not know"
        );
    }
}

#[test]
fn the_key_reference_documents_every_check_kind() {
    let docs = documented();
    for kind in golive::checks::KINDS.iter().map(|k| k.def.name) {
        assert!(
            docs.contains_key(kind),
            "no README section for kind `{kind}`"
        );
    }
}

#[test]
fn rows_give_a_type_a_default_and_a_meaning() {
    let start = README.find("### Key reference").expect("section");
    let section = &README[start..];
    let end = section.find("\n## ").unwrap_or(section.len());
    let rows: Vec<&str> = section[..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    assert!(rows.len() > 40, "{} rows", rows.len());
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
        assert_eq!(cells.len(), 4, "key, type, default, meaning: {row}");
        assert!(cells.iter().all(|c| !c.trim().is_empty()), "{row}");
    }
}

/// The text of every `.rs` file at `path`: the file itself, or every one below it.
fn rust_sources(path: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    text
}

/// The README's "Guarantees" table names the tests that prove each promise, each
/// test after the file that holds it (`tests/golive/bad_api.rs` (`a_balance_...`)):
/// every file it names exists, and every test it names is a function of the file
/// named before it, so that the table cannot drift from the suite.
#[test]
fn the_readme_guarantees_cite_tests_that_exist() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let start = README.find("## Guarantees").expect("a Guarantees section");
    let section = &README[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let cited: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.starts_with("tests/")
                || s.starts_with("src/")
                || (s.len() > 24 && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        })
        .collect();
    assert!(cited.len() > 10, "{cited:?}");
    let mut tests_named = 0;
    let mut file: Option<(&str, String)> = None;
    for name in cited {
        if name.starts_with("tests/") || name.starts_with("src/") {
            let path = root.join(name);
            assert!(path.exists(), "README cites {name}, which does not exist");
            file = Some((name, rust_sources(&path)));
        } else {
            let (in_file, sources) = file
                .as_ref()
                .unwrap_or_else(|| panic!("README cites the test {name} before any file"));
            assert!(
                sources.contains(&format!("fn {name}(")),
                "README cites the test {name} in {in_file}, which has no such test"
            );
            tests_named += 1;
        }
    }
    assert!(tests_named > 5, "only {tests_named} tests named");
}

//! The README's manifest key reference and the manifest loader cannot drift: every
//! key the loader accepts has a row in the README table of its table or kind, every
//! row names a key the loader accepts there, and every check kind has a section.

use std::collections::BTreeMap;

const README: &str = include_str!("../../README.md");

/// The table a `#### ...` heading of the key reference documents, named as
/// `golive::manifest::accepted_keys` names it.
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
    let accepted = golive::manifest::accepted_keys();
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
    for kind in golive::manifest::ALL_KINDS {
        assert!(
            docs.contains_key(*kind),
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

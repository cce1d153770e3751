//! Bounded fuzzing of golive's two file inputs (SPEC 8.5: no panic on any input):
//! the manifest loader and `report merge`, in process, with a few thousand mutated
//! inputs each, and whatever they accept through every renderer (the human report
//! and its padded columns, Markdown, JUnit, GitHub, Prometheus, JSON).
//!
//! The seeds are the repository's own `checks.toml` and `src/starter.toml`, and a
//! real report of the demo env. Mutations are byte flips, truncations, long
//! insertions, huge and non-finite numbers, control characters and duplicated
//! lines (duplicate keys and tables).

use std::path::Path;
use std::sync::OnceLock;

use crate::support::*;
use golive::report::Report;
use golive::report::human::HumanOptions;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Cases per property: enough to find the edges, small enough for a debug build
/// on two cores.
const CASES: u32 = 1000;

const CHECKS_TOML: &str = include_str!("../../checks.toml");
const STARTER_TOML: &str = include_str!("../../src/starter.toml");

/// A JSON report of the demo env, from one real run.
fn base_report() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = demo(&["--format", "json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    })
}

/// Pieces worth inserting: long runs, numbers at and past every limit, control
/// characters and escape sequences, TOML structure that duplicates keys.
fn nasty_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..70_000, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
        Just("x".repeat(65_536)),
        Just("99999999999999999999999999".to_string()),
        Just("18446744073709551615".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("1e999".to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("\"18446744073709551615ms\"".to_string()),
        Just("\"213503982334601d\"".to_string()),
        Just("\u{0}\u{1b}[31m\u{7}\u{7f}\u{85}\u{9b}".to_string()),
        Just("\r\n".to_string()),
        Just("\"\"\"".to_string()),
        Just("[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n".to_string()),
        Just("\nid = \"dup\"\nid = \"dup\"\n".to_string()),
        Just("\n[env.demo]\ntier = \"sandbox\"\n".to_string()),
        Just("\n[client]\nmax_attempts = 99999999999999999999\n".to_string()),
        Just("{".to_string()),
        Just("\u{feff}".to_string()),
        "\\PC{0,40}",
    ]
}

/// One change to a text.
#[derive(Debug, Clone)]
enum Mutation {
    FlipByte(Index, u8),
    Truncate(Index),
    Insert(Index, String),
    DuplicateLine(Index),
    DeleteLine(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), nasty_piece()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
    ]
}

/// Applies `mutations` to `seed`; invalid UTF-8 is replaced, as a reader of bytes
/// into text would.
fn mutate(seed: &str, mutations: &[Mutation]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for m in mutations {
        match m {
            Mutation::FlipByte(i, b) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] ^= b | 1;
            }
            Mutation::Truncate(i) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
            Mutation::Insert(i, s) => {
                let at = i.index(bytes.len() + 1);
                bytes.splice(at..at, s.bytes());
            }
            Mutation::DuplicateLine(i) | Mutation::DeleteLine(i) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                if lines.is_empty() {
                    continue;
                }
                let at = i.index(lines.len());
                if matches!(m, Mutation::DuplicateLine(_)) {
                    lines.insert(at, lines[at]);
                } else {
                    lines.remove(at);
                }
                bytes = lines.concat().into_bytes();
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A renderer of several reports.
type Renderer = fn(&[Report], &mut dyn std::io::Write) -> std::io::Result<()>;

/// Every renderer over `reports`; their results do not matter, only that none
/// panics.
fn render_everything(reports: &[Report]) -> usize {
    let mut written = 0;
    for color in [false, true] {
        let mut out = Vec::new();
        let opts = HumanOptions { color, verbose: 2 };
        let _ = golive::report::human::render_many(reports, &mut out, &opts);
        written += out.len();
    }
    let renderers: [Renderer; 5] = [
        golive::report::markdown::render,
        golive::report::junit::render,
        golive::report::github::render,
        golive::report::prometheus::render,
        golive::report::json::render_reports,
    ];
    for render in renderers {
        let mut out = Vec::new();
        let _ = render(reports, &mut out);
        written += out.len();
    }
    written
}

/// A report of `env` whose checks are the manifest's plan for it: the manifest's
/// ids, kinds and titles in every renderer.
fn report_of_plan(m: &golive::checks::Manifest, env: &golive::manifest::EnvSpec) -> Report {
    let mut report: Value = serde_json::from_str(base_report()).unwrap();
    let template = report["checks"][0].clone();
    let planned = golive::runner::plan(m, &env.name, &[], &[]).unwrap_or_default();
    let checks: Vec<Value> = planned
        .iter()
        .map(|p| {
            let mut c = template.clone();
            c["id"] = p.spec.id.clone().into();
            c["kind"] = p.spec.kind.into();
            c["title"] = golive::checks::title(&p.spec).into();
            c["summary"] = p.skip.clone().unwrap_or_default().into();
            c
        })
        .collect();
    report["checks"] = checks.into();
    report["environment"]["name"] = env.name.clone().into();
    report["environment"]["simulator"] = env.simulator.into();
    serde_json::from_value(report).expect("a report built from a valid manifest")
}

/// Loads `text` as a manifest; whatever it is, golive answers with a manifest or
/// located diagnostics, and never panics. What it accepts goes through `list`'s
/// planning and every renderer.
fn load_and_render(text: &str) {
    match golive::checks::parse(text, Path::new("fuzz.toml")) {
        Ok(m) => {
            let reports: Vec<Report> = m.envs.iter().map(|e| report_of_plan(&m, e)).collect();
            render_everything(&reports);
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "an error without a diagnostic");
            let rendered = e.render();
            assert!(rendered.contains("fuzz.toml"), "{rendered}");
        }
    }
}

/// Merges `text` (beside a good report); whatever it is, an answer naming the file
/// or a board that every renderer can show.
fn merge_and_render(text: String) {
    let inputs = [
        ("good.json".to_string(), base_report().to_string()),
        ("fuzz.json".to_string(), text),
    ];
    match golive::report::merge::merge(&inputs) {
        Ok(multi) => {
            render_everything(&multi.reports);
            let mut out = Vec::new();
            let _ = golive::report::markdown::render_merged(
                &multi,
                &["good.json".into(), "fuzz.json".into()],
                &mut out,
            );
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("fuzz.json"), "{message}");
        }
    }
}

/// A JSON value that no golive run writes, but that a crafted file may hold.
fn nasty_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        nasty_piece().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(-1)),
        Just(serde_json::json!(1.0e308)),
        Just(Value::Null),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(Value::from("x".repeat(70_000))),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
    ]
}

/// Replaces the value at a path chosen by `choice` (walking objects and arrays;
/// where the walk cannot go on, the value reached is replaced).
fn replace_somewhere(value: &mut Value, choice: &[Index], with: Value) {
    let Some((i, rest)) = choice.split_first() else {
        *value = with;
        return;
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(i.index(map.len())).cloned().unwrap();
            replace_somewhere(map.get_mut(&key).unwrap(), rest, with);
        }
        Value::Array(items) if !items.is_empty() => {
            let n = items.len();
            replace_somewhere(&mut items[i.index(n)], rest, with);
        }
        _ => *value = with,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        max_shrink_iters: 200,
        failure_persistence: regressions_beside_the_source(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_manifests_load_or_are_diagnosed_never_panic(
        seed in prop_oneof![Just(CHECKS_TOML), Just(STARTER_TOML)],
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        load_and_render(&mutate(seed, &mutations));
    }

    #[test]
    fn mutated_report_files_merge_or_are_refused_never_panic(
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        merge_and_render(mutate(base_report(), &mutations));
    }

    #[test]
    fn crafted_report_values_merge_or_are_refused_never_panic(
        edits in proptest::collection::vec(
            (proptest::collection::vec(any::<Index>(), 1..6), nasty_json()),
            1..4,
        ),
        multi in any::<bool>(),
    ) {
        let mut value: Value = serde_json::from_str(base_report()).unwrap();
        if multi {
            let merged = golive::report::merge::merge(&[
                ("a.json".to_string(), base_report().to_string()),
                ("b.json".to_string(), base_report().to_string()),
            ])
            .unwrap();
            value = serde_json::to_value(merged).unwrap();
        }
        for (path, with) in edits {
            replace_somewhere(&mut value, &path, with);
        }
        merge_and_render(value.to_string());
    }
}

/// Manifests built to stress the renderers: ids, tags, titles and env names at and
/// past their limits, through the loader, then `golive list` and `golive check`
/// as a user runs them (a handful of runs: the binary is slow next to the loader).
#[test]
fn long_names_are_refused_or_rendered_by_list_and_check() {
    let dir = tempdir();
    for (id_len, env_len, title_len, accepted) in [
        (64, 64, 200, true),
        (65, 10, 10, false),
        (10, 65, 10, false),
        (10, 10, 201, false),
        (65_536, 10, 10, false),
    ] {
        let id = "i".repeat(id_len);
        let env = "e".repeat(env_len);
        let title = "T".repeat(title_len);
        let text = format!(
            "version = 1\ndefault_env = \"{env}\"\n\n[env.{env}]\ntier = \"sandbox\"\nsimulator = true\n\n\
             [[check]]\nid = \"{id}\"\nkind = \"attestation\"\ntitle = \"{title}\"\nevidence = \"https://example.com/x\"\n\
             signed_off_by = \"ops@example.com\"\ndate = 2026-01-01\ntags = [\"{id}\"]\n"
        );
        load_and_render(&text);
        let m = write_manifest(dir.path(), &text);
        for sub in ["list", "check"] {
            let out = run(golive().args([sub, "-m", p(&m)]));
            let stderr = &out.stderr[..out.stderr.len().min(400)];
            assert!(!out.stderr.contains("panicked"), "{sub} {id_len}: {stderr}");
            if accepted {
                assert_eq!(out.code, 0, "{sub} {id_len}: {stderr}");
                assert!(out.stdout.contains(&id), "{sub}: {}", out.stdout);
            } else {
                assert_eq!(
                    out.code, 2,
                    "{sub} {id_len}/{env_len}/{title_len}: {stderr}"
                );
                assert!(out.stdout.is_empty());
                assert!(out.stderr.contains("characters long"), "{stderr}");
            }
        }
    }
}

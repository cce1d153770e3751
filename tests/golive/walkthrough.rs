//! The README's "First run" walkthrough, replayed command by command in an empty
//! folder with the built binary: every documented line appears, every documented
//! exit code is the real one.

use crate::support::*;

/// One `$ golive ...` step of the walkthrough.
#[derive(Debug)]
struct Step {
    args: Vec<String>,
    exit: i32,
    expected: Vec<String>,
}

fn steps(readme: &str) -> Vec<Step> {
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("README has a walkthrough:start marker");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("README has a walkthrough:end marker");
    let mut steps: Vec<Step> = Vec::new();
    for line in readme[start..end].lines() {
        if line.starts_with("```") || line.starts_with("<!--") || line.trim().is_empty() {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let (command, exit) = match command.split_once("# exit ") {
                Some((c, code)) => (c, code.trim().parse().expect("an exit code")),
                None => (command, 0),
            };
            let mut words = command.split_whitespace().map(str::to_string);
            assert_eq!(words.next().as_deref(), Some("golive"), "{line}");
            steps.push(Step {
                args: words.collect(),
                exit,
                expected: Vec::new(),
            });
        } else {
            steps
                .last_mut()
                .expect("output follows a command")
                .expected
                .push(line.to_string());
        }
    }
    steps
}

#[test]
fn the_readme_walkthrough_replays() {
    let readme = std::fs::read_to_string(crate_root().join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.len() >= 3, "{steps:#?}");
    assert_eq!(
        steps[0].args,
        ["init"],
        "the walkthrough starts with golive init"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.args.first().is_some_and(|a| a == "check") && s.exit == 0),
        "the walkthrough reaches a green check"
    );
    let dir = tempdir();
    for step in &steps {
        let out = run(golive().current_dir(dir.path()).args(&step.args));
        assert_eq!(
            out.code,
            step.exit,
            "golive {}:\n{}\n{}",
            step.args.join(" "),
            out.stdout,
            out.stderr
        );
        for line in &step.expected {
            assert!(
                out.stdout.lines().any(|l| l.trim_end() == line),
                "golive {}: `{line}` not printed:\n{}",
                step.args.join(" "),
                out.stdout
            );
        }
    }
    assert!(dir.path().join("checks.toml").is_file());
}

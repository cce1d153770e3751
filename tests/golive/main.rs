//! golive's integration tests: one test binary, one module per capability.
//!
//! Most tests run the real `golive` executable against servers on loopback (the
//! built-in simulator, raw TCP servers, webhook receivers), all on 127.0.0.1 or ::1,
//! port 0. Some call the library in process. The helpers they share live in
//! [`support`]; a helper nobody uses is deleted rather than allowed.
//!
//! One binary links faster than one per file, but its tests share a process: no test
//! sets an environment variable or the working directory of the test process (each
//! golive run gets its own environment and directory), and a test that must touch
//! process-wide state runs in a child process of its own ([`support::isolated`]).

mod support;

mod attestation;
mod bad_api;
mod check;
mod client_retry;
mod commands;
mod docs;
mod egress;
mod fuzz_inputs;
mod hostile;
mod init;
mod manifest_errors;
mod manifest_paths;
mod messages;
mod pipelines;
mod release;
mod report_file;
mod request_id;
mod retry_policy;
mod safety;
mod schema;
mod secrets;
mod sim_conformance;
mod sim_snippet;
mod standalone;
mod trust_properties;
mod validate_lints;
mod verbosity;
mod waivers;
mod walkthrough;
mod watch;
mod webhook;
mod webhook_send;

/// Cargo compiles only the modules this file names: a test file added beside it
/// without a `mod` line would never run. Every `.rs` file here and in `support/` is a
/// module of this binary.
#[test]
fn every_file_here_is_a_module_of_the_test_binary() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golive");
    for (dir, parent, declared) in [
        (here.clone(), "main.rs", include_str!("main.rs")),
        (
            here.join("support"),
            "mod.rs",
            include_str!("support/mod.rs"),
        ),
    ] {
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(module) = name.strip_suffix(".rs") else {
                continue;
            };
            if name == parent {
                continue;
            }
            seen += 1;
            assert!(
                declared
                    .lines()
                    .any(|l| l.trim_start_matches("pub ") == format!("mod {module};")),
                "{} is not a module of the test binary: add `mod {module};` to {parent}",
                path.display()
            );
        }
        assert!(seen > 0, "no module found in {}", dir.display());
    }
}

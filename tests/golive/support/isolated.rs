//! One test in a child process of its own, for the rare test that must change
//! process-wide state that every other test of this binary shares (the secret
//! scrubber's registry, `golive::secret::register`).

use std::process::Command;

/// Set in the child to the name of the one test it runs.
const CHILD: &str = "GOLIVE_TESTS_ISOLATED";

/// Runs `body` in a fresh copy of this test binary that runs only the test `name`
/// (its path as `cargo test` prints it, e.g. `trust_properties::some_test`), and
/// fails when the child fails or ran no test of that name. In that child, it is
/// where `body` runs.
pub fn in_own_process(name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some_and(|v| v == name) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, name)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed in its own process:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{name} did not run in its own process:\n{stdout}\n{stderr}"
    );
}

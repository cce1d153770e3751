//! Embeds the commit golive was built from, so `golive --version` names it:
//! `GOLIVE_COMMIT` from the environment (the release workflow and the Dockerfile set
//! it), else `git rev-parse --short HEAD` when this is a git checkout, else `unknown`.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Only printable ASCII without spaces: the value ends up in `--version`.
fn clean(commit: &str) -> Option<String> {
    let commit = commit.trim();
    let ok = !commit.is_empty()
        && commit.len() <= 64
        && commit
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| commit.to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GOLIVE_COMMIT");

    let from_env = std::env::var("GOLIVE_COMMIT").ok().and_then(|c| clean(&c));
    let commit = from_env.or_else(|| {
        // Rebuild when HEAD moves: HEAD itself (another branch checked out) and the
        // branch it points at (a new commit). `--git-path` finds both in worktrees too.
        let branch = git(&["symbolic-ref", "-q", "HEAD"]);
        let watched = ["HEAD", branch.as_deref().unwrap_or("HEAD"), "packed-refs"];
        for path in watched
            .iter()
            .filter_map(|p| git(&["rev-parse", "--git-path", p]))
        {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
        git(&["rev-parse", "--short=7", "HEAD"]).and_then(|c| clean(&c))
    });
    let commit = commit.unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=GOLIVE_COMMIT={commit}");
}

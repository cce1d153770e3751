//! `golive init`: writes the commented starter manifest (`src/starter.toml`).

use crate::cli::InitArgs;
use crate::exit::Exit;

use super::{Failure, print_stdout, usage};

/// The starter manifest `golive init` writes.
pub const STARTER_MANIFEST: &str = include_str!("../starter.toml");

/// Runs `golive init`.
pub(crate) fn init(args: &InitArgs) -> Result<Exit, Failure> {
    let path = &args.path;
    // `-` is stdout, as for every tool that writes a file: nothing else is printed.
    if path.as_os_str() == "-" {
        return print_stdout(STARTER_MANIFEST);
    }
    if path.is_dir() {
        return Err(usage(format!(
            "--path {}: is a folder; give the manifest's file name, e.g. --path {}",
            path.display(),
            path.join("checks.toml").display()
        )));
    }
    if path.exists() && !args.force {
        return Err(usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    // A missing folder is created, as `golive check` does for report files.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            usage(format!(
                "--path {}: cannot create the folder {}: {e}",
                path.display(),
                parent.display()
            ))
        })?;
    }
    std::fs::write(path, STARTER_MANIFEST)
        .map_err(|e| usage(format!("--path {}: cannot write: {e}", path.display())))?;
    print_stdout(&format!(
        "wrote {path}\n\nNext:\n  1. fill in the TODOs (URLs, allowlist, thresholds, attestations)\n  2. golive validate -m {path}\n  3. golive check -m {path} -e demo        (the simulator, no account needed)\n  4. golive check -m {path} -e sandbox\n",
        path = path.display()
    ))
}

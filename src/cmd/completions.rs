//! `golive completions` and `golive man`: shell completion scripts and the man
//! page, generated from the clap definition.

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

use super::{Failure, internal, print_stdout};

/// Runs `golive completions`.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<Exit, Failure> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "golive", &mut buf);
    print_stdout(&String::from_utf8_lossy(&buf))
}

/// Runs `golive man`.
pub(crate) fn man() -> Result<Exit, Failure> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    match clap_mangen::Man::new(cmd).render(&mut buf) {
        Ok(()) => print_stdout(&String::from_utf8_lossy(&buf)),
        Err(e) => Err(internal(format!("cannot render the man page: {e}"))),
    }
}

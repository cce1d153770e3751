//! The golive binary: parse arguments, run, exit with the verdict's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = golive::cli::Cli::parse();
    golive::cmd::run(cli).into()
}

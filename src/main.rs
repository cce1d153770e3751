//! The golive binary: parse arguments, run, exit with the verdict's code.

fn main() -> std::process::ExitCode {
    let cli = golive::cli::Cli::parse_args();
    golive::cmd::run(cli).into()
}

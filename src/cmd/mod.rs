//! The commands: one file per subcommand, and what they share.
//!
//! [`run`] dispatches parsed arguments to a command and turns its result into an
//! exit code. This module also holds what every command shares: the `Failure`
//! that ends a command before (or instead of) a report, with its exit code;
//! loading the manifest and picking an env with messages that say what is wrong;
//! printing to stdout; the log set-up and the colour decision. Errors that mean
//! "nothing was probed" (bad manifest, unknown env, bad flags) are printed to
//! stderr and give exit 2; a report that cannot be written gives exit 4; otherwise
//! the exit code is the verdict. stdout carries only the report.
//!
//! Only the commands print; nothing outside this module imports it.

use anyhow::Context;
mod check;
mod completions;
mod explain;
pub mod init;
mod list;
mod proxy;
mod report_merge;
mod schema;
mod sim;
mod validate;
mod watch;
mod webhook_send;

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::checks::{self, Manifest};
use crate::cli::{Cli, ColorChoice, Command, ManifestArgs, ReportCommand, WebhookCommand};
use crate::exit::Exit;
use crate::manifest;
use crate::report::github::ActionsEnv;
use crate::report::human::Painter;
use crate::sim::Scenario;

/// What golive reads from the process environment for its own behaviour: read
/// once, here, and passed down. (`GOLIVE_*` flag defaults are clap's; a secret's
/// `env:NAME` and the `client_retry` command's `PATH` are read where they are
/// features.)
struct ProcessEnv {
    /// `NO_COLOR` is set and not empty.
    no_color: bool,
    /// `CLICOLOR_FORCE` is set, not empty and not `0`.
    clicolor_force: bool,
    /// `GITHUB_ACTIONS` and `GITHUB_STEP_SUMMARY`.
    actions: ActionsEnv,
}

impl ProcessEnv {
    fn read() -> Self {
        ProcessEnv {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            clicolor_force: std::env::var_os("CLICOLOR_FORCE")
                .is_some_and(|v| !v.is_empty() && v != "0"),
            actions: ActionsEnv::from_lookup(|name| std::env::var_os(name)),
        }
    }

    /// Whether a stream gets colour: `--color`, then `NO_COLOR`, then a terminal
    /// (or `CLICOLOR_FORCE`).
    fn color(&self, choice: ColorChoice, is_terminal: bool) -> bool {
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !self.no_color && (is_terminal || self.clicolor_force),
        }
    }
}

/// Runs golive with parsed arguments and returns the exit code.
pub fn run(cli: Cli) -> Exit {
    let process = ProcessEnv::read();
    let stderr_color = process.color(cli.color, std::io::stderr().is_terminal());
    // `golive sim` is the simulator itself: its log is what -v is for. Everywhere
    // else a simulator is embedded, and its server log waits for -vv.
    let embedded_sim = !matches!(cli.command, Command::Sim(_));
    init_logging(cli.verbose, cli.quiet, stderr_color, embedded_sim);
    let out_color = process.color(cli.color, std::io::stdout().is_terminal());
    let result = match cli.command {
        Command::Schema => schema::schema(),
        Command::Explain(args) => explain::explain(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::List(args) => list::list(&args),
        Command::Init(args) => init::init(&args),
        Command::Check(args) => {
            let output = check::Output {
                color: out_color,
                verbose: cli.verbose,
                quiet: cli.quiet,
                actions: process.actions,
            };
            with_runtime(|| check::check(&args, &output))
        }
        Command::Sim(args) => with_runtime(|| sim::sim_forever(&args)),
        Command::Watch(args) => with_runtime(|| watch::watch(&args)),
        Command::Webhook(WebhookCommand::Send(args)) => {
            with_runtime(|| webhook_send::webhook_send(&args))
        }
        Command::Report(ReportCommand::Merge(args)) => {
            report_merge::merge(&args, out_color, cli.verbose)
        }
        Command::Completions(args) => completions::completions(&args),
        Command::Proxy(args) => with_runtime(|| proxy::proxy(&args)),
        Command::Man => completions::man(),
    };
    match result {
        Ok(exit) => exit,
        Err(Failure {
            exit,
            message,
            preformatted,
        }) => {
            // An error may quote a server, a receiver or a command: it is cleaned
            // and scrubbed like every other text before it reaches the terminal.
            let message = crate::secret::scrub(&crate::text::sanitize_lines(&message));
            if preformatted {
                eprintln!("{message}");
            } else {
                eprintln!("{}", error_line(&message, stderr_color));
            }
            exit
        }
    }
}

/// `error: message`, the label bold red when colour is on.
fn error_line(message: &str, color: bool) -> String {
    let label = Painter::new(color).verdict(anstyle::AnsiColor::Red, "error:");
    format!("{label} {message}")
}

fn with_runtime<F, Fut>(f: F) -> Result<Exit, Failure>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Exit, Failure>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(f())
}

/// The log filter of a verbosity, as `--help` documents it: each level adds detail
/// on stderr, and nothing else changes.
///
/// - `-v`: every API call golive makes (`golive::api`), once;
/// - `-vv`: debug detail: each check's start and end (`golive::runner`), and the
///   embedded simulator's own server log (`golive::sim`), so that a call and the
///   simulator's answer to it can be told apart by their label;
/// - `-vvv`: trace detail, and HTTP connections (`reqwest`, `hyper_util`).
///
/// `golive sim` is the simulator, so its log is there from `-v`.
fn log_filter(verbose: u8, quiet: bool, embedded_sim: bool) -> &'static str {
    match (quiet, verbose, embedded_sim) {
        (true, _, _) => "error",
        (false, 0, _) => "warn",
        (false, 1, true) => "warn,golive=info,golive::sim=warn",
        (false, 1, false) => "warn,golive=info",
        (false, 2, _) => "warn,golive=debug",
        (false, _, _) => "warn,golive=trace,reqwest=debug,hyper_util=debug",
    }
}

fn init_logging(verbose: u8, quiet: bool, color: bool, embedded_sim: bool) {
    let filter = log_filter(verbose, quiet, embedded_sim);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(|| ScrubbedStderr)
        .with_ansi(color)
        // Each line names its source (golive::api, golive::sim, ...) once more
        // than warnings are shown: client and simulator lines never look alike.
        .with_target(verbose > 0)
        .without_time()
        .try_init();
}

/// stderr for log lines, with every registered secret scrubbed from each line: a
/// log line may quote a server's words, and the server may quote a credential.
struct ScrubbedStderr;

impl Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter writes one whole event per call.
        let text = crate::secret::scrub(&String::from_utf8_lossy(buf));
        std::io::stderr().lock().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A run that ends before (or instead of) a report.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
    /// Already formatted diagnostics (manifest errors): printed as they are.
    pub(crate) preformatted: bool,
}

impl Failure {
    /// What went wrong, for a line of its own.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

/// An error of the machinery around a command (the runtime, stdout, a signal
/// handler), with the context it was given: an internal error (exit 4). The text is
/// the whole chain, `context: cause`.
impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        internal(format!("{e:#}"))
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure {
        exit: Exit::Usage,
        message: message.into(),
        preformatted: false,
    }
}

pub(crate) fn internal(message: impl Into<String>) -> Failure {
    Failure {
        exit: Exit::Internal,
        message: message.into(),
        preformatted: false,
    }
}

pub(crate) fn load(args: &ManifestArgs) -> Result<Manifest, Failure> {
    let path = &args.manifest;
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        let init = if path == Path::new("checks.toml") || path == Path::new("./checks.toml") {
            "golive init".to_string()
        } else {
            format!("golive init --path {}", path.display())
        };
        return Err(usage(format!(
            "{}: cannot read the manifest: no such file; run `{init}` to write a commented starter one{}",
            path.display(),
            if init == "golive init" {
                ", or pass -m PATH"
            } else {
                ""
            }
        )));
    }
    checks::load(path).map_err(|e| Failure {
        exit: Exit::Usage,
        message: e.render().trim_end().to_string(),
        preformatted: true,
    })
}

pub(crate) fn pick_env<'m>(
    m: &'m Manifest,
    requested: Option<&str>,
) -> Result<&'m manifest::EnvSpec, Failure> {
    let known = || {
        m.envs
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = match (requested, m.default_env.as_deref()) {
        (Some(n), _) => n,
        (None, Some(d)) => d,
        (None, None) if m.envs.len() == 1 => m.envs[0].name.as_str(),
        (None, None) => {
            return Err(usage(format!(
                "{}: no --env given and the manifest has no default_env (envs: {})",
                m.path.display(),
                known()
            )));
        }
    };
    m.env(name).ok_or_else(|| {
        usage(format!(
            "--env {name}: no env `{name}` in {}{} (envs: {})",
            m.path.display(),
            did_you_mean(name, m.envs.iter().map(|e| e.name.as_str())),
            if m.envs.is_empty() {
                "none".to_string()
            } else {
                known()
            }
        ))
    })
}

/// "; did you mean `x`?" when `word` is a near miss of one of `candidates`, as the
/// manifest says for keys; otherwise nothing.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> String {
    manifest::suggest(word, candidates)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default()
}

/// An unknown `--scenario`: its near miss, and every scenario.
pub(crate) fn unknown_scenario(name: &str) -> Failure {
    usage(format!(
        "--scenario {name}: unknown scenario{} (known: {})",
        did_you_mean(name, Scenario::ALL.iter().map(|(_, n, _)| *n)),
        Scenario::names()
    ))
}

/// Writes to stdout; a closed pipe (e.g. `| head`) is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<Exit, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(Exit::Ready),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ready),
        Err(e) => Err(internal(format!("cannot write to stdout: {e}"))),
    }
}

/// `raw` with whatever stands between `scheme://` and the last `@` of the authority
/// replaced by `***`: a URL echoed in a message never shows a user or password,
/// whether or not it parses.
fn blank_userinfo(raw: &str) -> String {
    // Without a scheme (`user:pw@host/x`), the authority starts the text.
    let start = raw.find("://").map_or(0, |at| at + 3);
    let rest = &raw[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(userinfo) => format!("{}***{}", &raw[..start], &rest[userinfo..]),
        None => raw.to_string(),
    }
}

/// Refuses a URL given on the command line that carries credentials
/// (`user:password@`), before anything is sent, without echoing them: the URL would
/// be printed and logged, and golive never takes a secret that way (the manifest
/// refuses the same with `literal-secret`).
fn refuse_url_credentials(flag: &str, raw: &str) -> Result<(), Failure> {
    let blanked = blank_userinfo(raw);
    let carries = blanked != raw
        || reqwest::Url::parse(raw)
            .is_ok_and(|url| !url.username().is_empty() || url.password().is_some());
    if carries {
        return Err(usage(format!(
            "{flag} {blanked}: the URL carries credentials (user:password@); golive never takes a secret in a URL, since it would be printed and logged (code: literal-secret)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn the_simulator_log_waits_for_vv_unless_golive_sim_runs() {
        // Embedded (check, list, ...): -v is golive's own calls only.
        assert!(log_filter(1, false, true).contains("golive::sim=warn"));
        assert!(!log_filter(2, false, true).contains("golive::sim"));
        // `golive sim -v`: the simulator's requests are the point.
        assert_eq!(log_filter(1, false, false), "warn,golive=info");
        // Each level adds to the last; -q wins.
        assert!(log_filter(3, false, true).contains("golive=trace"));
        assert_eq!(log_filter(3, true, true), "error");
        assert_eq!(log_filter(0, false, false), "warn");
    }

    #[test]
    fn an_error_with_context_is_internal_and_says_the_whole_chain() {
        let io = std::io::Error::other("no space left on device");
        let failure: Failure = Err::<(), _>(io)
            .context("cannot write to stdout")
            .unwrap_err()
            .into();
        assert_eq!(failure.exit, Exit::Internal);
        assert_eq!(
            failure.message,
            "cannot write to stdout: no space left on device"
        );
    }

    #[test]
    fn userinfo_is_blanked_whether_or_not_the_url_parses() {
        assert_eq!(
            blank_userinfo("http://user:pw@127.0.0.1:9/x"),
            "http://***@127.0.0.1:9/x"
        );
        assert_eq!(
            blank_userinfo("https://a:b@c@host/p@q"),
            "https://***@host/p@q"
        );
        assert_eq!(blank_userinfo("http://u:p@[bad/x"), "http://***@[bad/x");
        assert_eq!(
            blank_userinfo("http://127.0.0.1/a@b"),
            "http://127.0.0.1/a@b"
        );
        assert_eq!(blank_userinfo("sim"), "sim");
        // Without a scheme, `user:123@host` would otherwise parse as scheme `user`.
        assert_eq!(blank_userinfo("user:123@host/x"), "***@host/x");
        assert!(refuse_url_credentials("--url", "user:123@host/x").is_err());
        assert!(refuse_url_credentials("--url", "http://127.0.0.1:9/a@b").is_ok());
    }

    #[test]
    fn command_line_urls_with_credentials_are_refused_without_echoing_them() {
        for raw in [
            "http://user:Pw0rdXyz@127.0.0.1:9/x",
            "http://Pw0rdXyz@127.0.0.1:9/x",
            "http://user:Pw0rdXyz@[not a url/x",
        ] {
            let e = refuse_url_credentials("--url", raw).unwrap_err();
            assert_eq!(e.exit, Exit::Usage);
            assert!(!e.message.contains("Pw0rdXyz"), "{}", e.message);
            assert!(e.message.contains("***"), "{}", e.message);
        }
        assert!(refuse_url_credentials("--url", "http://127.0.0.1:9/x").is_ok());
        assert!(refuse_url_credentials("--upstream", "sim").is_ok());
    }
}

//! Command-line types (clap derive) and nothing else: parsing only, no behaviour.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use crate::report::Format;
use crate::scenario::Scenario;

/// Is this Octopus Cards API integration ready for production?
///
/// golive loads a checks manifest (checks.toml), runs every pre-launch probe against
/// one or more environments concurrently, and prints a pass/fail report with the fix
/// for every problem. It ships with an Octopus API simulator and a reference webhook
/// receiver, so it runs without an account.
#[derive(Debug, Parser)]
#[command(
    name = "golive",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("GOLIVE_COMMIT"), ")"),
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "\
Examples:
  golive init                         write a commented starter checks.toml
  golive check                        run ./checks.toml against its default env
  golive check -e production --strict  gate a production launch; warnings block too
  golive check --format json > report.json
  golive validate                     lint the manifest; no network
  golive explain login-rejected       what a finding code means and how to fix it
  golive sim                          run the Octopus simulator on loopback

Exit codes: 0 ready, 1 not ready, 2 usage or manifest error, 3 inconclusive, 4 internal error.")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// When to use colours on the terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "GOLIVE_COLOR")]
    pub color: ColorChoice,

    /// More detail on stderr, each level adding to the last: -v logs each API call golive makes; -vv adds each check's start and end and the embedded simulator's server log (labelled golive::sim); -vvv adds HTTP connection detail. Machine formats on stdout are the same at every level; the human report adds request ids (-v) and evidence (-vv). Secrets are never shown.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr; no progress display.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses the process's arguments as [`Parser::parse`] does (a bad command line
    /// exits 2 with clap's message), and notes which values came from the
    /// environment rather than the command line.
    pub fn parse_args() -> Cli {
        let matches = <Cli as CommandFactory>::command().get_matches();
        Cli::from_matches(&matches)
            .unwrap_or_else(|e| e.format(&mut <Cli as CommandFactory>::command()).exit())
    }

    /// The arguments in `matches`, with [`EnvSelection::env_from_variable`] set.
    pub fn from_matches(matches: &ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = <Cli as FromArgMatches>::from_arg_matches(matches)?;
        let from_variable = |name: &str| {
            matches
                .subcommand_matches(name)
                .is_some_and(|m| m.value_source("env") == Some(ValueSource::EnvVariable))
        };
        match &mut cli.command {
            Command::Check(args) => args.envs.env_from_variable = from_variable("check"),
            Command::Watch(args) => args.envs.env_from_variable = from_variable("watch"),
            _ => {}
        }
        Ok(cli)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks against one or more environments and print the report.
    ///
    /// The exit code is the verdict: 0 ready, 1 not ready, 3 inconclusive (a blocking
    /// check could not complete); 2 means nothing was probed (bad manifest or flags).
    #[command(after_help = "\
Examples:
  golive check                               the default env of ./checks.toml
  golive check -e sandbox --only wallet-usd  one check (by id or tag)
  golive check --scenario low-balance        the demo simulator, misbehaving
  golive check --format json --report-json out/golive.json")]
    Check(CheckArgs),

    /// Keep checking after launch: run the checks of each env every --interval and
    /// serve the latest results to Prometheus.
    ///
    /// Serves /metrics (the families of `--format prometheus` for the latest run of
    /// every env, plus run counters and status changes), /report.json (the latest
    /// multi-env JSON report) and /healthz. Each run is exactly a `golive check`,
    /// with the same production safety; a production env needs --interval of at
    /// least 5m, and client_retry checks never run. A check whose status changes
    /// between two runs prints one line on stderr. SIGINT or SIGTERM stops it.
    #[command(after_help = "\
Examples:
  golive watch                                   the default env, every 5 minutes
  golive watch --all-envs --listen 127.0.0.1:9464
  golive watch -e demo --interval 10s --scenario low-balance")]
    Watch(WatchArgs),

    /// Load and lint the manifest only: no network, no secrets needed. Exit 0 or 2.
    ///
    /// Problems that make the manifest unusable are errors (exit 2); lints that are
    /// probably wrong (an expired waiver, an unfilled attestation...) are warnings,
    /// printed to stderr, and block only with --strict.
    Validate(ValidateArgs),

    /// List the checks that would run for an environment: id, kind, severity, tags.
    List(ListArgs),

    /// Write a commented starter checks.toml: sandbox and production envs, every
    /// check kind, and the go-live sequence as attestations.
    Init(InitArgs),

    /// Run the Octopus API simulator and a reference webhook receiver on loopback until interrupted.
    ///
    /// Prints the base URL and the credentials to use. Point an env at it with
    /// base_url, or use `simulator = true` in the manifest to have `golive check`
    /// start one by itself. Where the Octopus docs leave a value open, the value is
    /// the simulator's own guess: the wallet.debited/wallet.credited payload
    /// (wallet_id, currency, amount, balance, transaction_id, order_id), the
    /// order.failed/order.cancelled payload, the 1s async completion, the client_ids.
    /// Topups and eSIM are not simulated. See docs/simulator.md.
    Sim(SimArgs),

    /// Print the JSON Schema of the report (`--format json`).
    Schema,

    /// Explain a finding code: what it means, why it matters, how to fix it.
    Explain(ExplainArgs),

    /// Webhook tools: send one signed delivery to your endpoint.
    #[command(subcommand)]
    Webhook(WebhookCommand),

    /// Report tools: merge the reports of several runners into one board.
    #[command(subcommand)]
    Report(ReportCommand),

    /// Print a shell completion script, e.g. `golive completions bash > /etc/bash_completion.d/golive`.
    Completions(CompletionsArgs),

    /// Print the man page (roff), e.g. `golive man > golive.1`.
    Man,

    /// Run a fault-injecting reverse proxy in front of the sandbox or the simulator,
    /// to watch your own client handle 429s, 5xx, bad requests and unknown fields.
    ///
    /// Point your client's base URL at the printed proxy URL and run it; every
    /// request is logged (time, method, path, status, injected or passed through,
    /// client_reference, X-Request-Id). The `client_retry` check does the same
    /// automatically and judges the timeline. Never point it at production.
    #[command(after_help = "\
Examples:
  golive proxy --upstream sim                          the simulator behind the default plan
  golive proxy --upstream https://sandbox-api.octopuscards.io --phase outage
  golive proxy --upstream sim --plan my-faults.toml")]
    Proxy(ProxyArgs),
}

/// Arguments of `golive proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,

    /// Where to forward: a sandbox base URL, or `sim` for a built-in simulator.
    #[arg(long, value_name = "URL|sim")]
    pub upstream: String,

    /// The fault plan: a built-in name (default, passthrough) or a TOML file.
    #[arg(long, value_name = "NAME|FILE", default_value = "default")]
    pub plan: String,

    /// Which phase of the plan to run (default: its first, e.g. `faults`; the
    /// default plan also has `outage`).
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,
}

/// `golive report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine JSON reports of several runners (regions, NAT gateways, environments)
    /// into one board with an overall verdict; the exit code is the worst verdict.
    ///
    /// Each input is a `golive check --format json` report (one env or several).
    /// Two reports of the same env (e.g. production from two NAT gateways) are both
    /// kept, labelled with their file.
    #[command(after_help = "\
Examples:
  golive report merge eu/golive.json us/golive.json --format markdown >> \"$GITHUB_STEP_SUMMARY\"
  golive report merge reports/*.json --format json > merged.json")]
    Merge(MergeArgs),
}

/// Arguments of `golive report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports to merge.
    #[arg(required = true, value_name = "REPORT.json")]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = MergeFormat::Human)]
    pub format: MergeFormat,
}

/// `golive report merge --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// One human report per environment and an overall verdict.
    Human,
    /// One JSON document (the multi-environment report shape).
    Json,
    /// The Markdown go-live board.
    Markdown,
}

/// Arguments of `golive completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `golive webhook ...`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Send one delivery signed exactly as Octopus signs, and show the answer (like a
    /// signed `curl`): the tool for debugging a receiver.
    ///
    /// The body is `{"created_at","data","id","type"}` as compact JSON; `X-Signature` is
    /// the lowercase hex HMAC-SHA256 of those exact bytes. Exit 0 on a 2xx, 1 on any
    /// other status, 3 when no answer came.
    #[command(after_help = "\
Examples:
  golive webhook send --url https://hooks.example.com/octopus --secret-env WEBHOOK_SECRET
  golive webhook send --url http://localhost:3000/hooks --secret-file .secret --event wallet.debited
  golive webhook send --url ... --secret-env S --event-id evt_1 --timestamp 1700000000 --bad-signature")]
    Send(WebhookSendArgs),
}

/// Arguments of `golive webhook send`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["secret_env", "secret_file"])))]
pub struct WebhookSendArgs {
    /// The endpoint (https://, or http:// to a loopback host only).
    #[arg(long, value_name = "URL")]
    pub url: String,

    /// Read the webhook secret from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub secret_env: Option<String>,

    /// Read the webhook secret from this file (one trailing newline is stripped).
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,

    /// The event type (`X-Event-Type` and the body's `type`).
    #[arg(long, value_name = "TYPE", default_value = "order.delivered")]
    pub event: String,

    /// The event's `data`: a JSON object, or @FILE to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub data: Option<String>,

    /// `X-Timestamp` in Unix seconds (default: now). Use an old one to test replay protection.
    #[arg(long, value_name = "UNIX")]
    pub timestamp: Option<i64>,

    /// `X-Event-ID` and the body's `id` (default: a fresh evt_golive_... id). Repeat one to test de-duplication.
    #[arg(long, value_name = "ID")]
    pub event_id: Option<String>,

    /// Send a wrong `X-Signature`: a correct endpoint answers 401.
    #[arg(long)]
    pub bad_signature: bool,

    /// An extra trusted root certificate (PEM) for the endpoint's TLS.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// How long to wait for the answer.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// `--manifest`.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// The checks manifest.
    #[arg(
        short,
        long,
        value_name = "PATH",
        default_value = "checks.toml",
        env = "GOLIVE_MANIFEST"
    )]
    pub manifest: PathBuf,
}

/// Arguments of `golive validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub manifest: ManifestArgs,

    /// Warnings are errors too: exit 2 when there is any (for CI).
    #[arg(long)]
    pub strict: bool,

    /// Same as --strict when given `warnings` (the only value), as in `cargo clippy -- -D warnings`.
    #[arg(long, value_name = "LINTS", value_parser = ["warnings"])]
    pub deny: Vec<String>,
}

/// Arguments of `golive init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the manifest (`-`: stdout). Missing folders are created.
    #[arg(long, value_name = "FILE", default_value = "checks.toml")]
    pub path: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `golive list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub manifest: ManifestArgs,

    /// The environment (default: the manifest's default_env).
    #[arg(short, long, value_name = "NAME", env = "GOLIVE_ENV")]
    pub env: Option<String>,

    /// List the check kinds this golive knows instead (their keys, default timeout
    /// and what each checks); needs no manifest.
    #[arg(long, conflicts_with = "env")]
    pub kinds: bool,
}

/// Which environments a run covers: `--env` and `--all-envs`, shared by `golive
/// check` and `golive watch` (whose help words them for a watch).
#[derive(Debug, Clone, Default, Args)]
pub struct EnvSelection {
    /// The environment(s) to check, comma separated (default: the manifest's
    /// default_env). Several run concurrently; the exit code is the worst verdict.
    #[arg(
        short,
        long,
        value_name = "NAME[,NAME...]",
        env = "GOLIVE_ENV",
        value_delimiter = ','
    )]
    pub env: Vec<String>,

    /// Check every env of the manifest, concurrently (overrides GOLIVE_ENV).
    #[arg(long)]
    pub all_envs: bool,

    /// Whether `env` came from GOLIVE_ENV rather than the command line (filled in
    /// by [`Cli::parse_args`] from clap's value source).
    #[arg(skip)]
    pub env_from_variable: bool,
}

/// Which checks run, and how: shared by `golive check` and `golive watch`
/// (whose help words some of them for a watch).
#[derive(Debug, Clone, Args)]
pub struct RunFlags {
    /// Run only these checks (an id or a tag; repeatable).
    #[arg(long, value_name = "ID|TAG")]
    pub only: Vec<String>,

    /// Do not run these checks (an id or a tag; repeatable).
    #[arg(long, value_name = "ID|TAG")]
    pub skip: Vec<String>,

    /// Warnings block go-live too (checks of severity info never block).
    #[arg(long)]
    pub strict: bool,

    /// Ignore every [[waiver]]: for gates that must see the raw result.
    #[arg(long)]
    pub no_waivers: bool,

    /// How many checks run at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
}

/// Arguments of `golive check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub envs: EnvSelection,

    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Also write a JUnit XML report to this file (one testsuite per env).
    #[arg(long, value_name = "PATH")]
    pub report_junit: Option<PathBuf>,

    /// Also write the Markdown go-live board to this file.
    #[arg(long, value_name = "PATH")]
    pub report_markdown: Option<PathBuf>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub run: RunFlags,

    /// Time budget of the whole run, e.g. 30s or 2m (each check also has its own timeout).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// For an env with `simulator = true`: the simulator scenario to run
    /// (see `golive sim --help` for the list).
    #[arg(long, value_name = "NAME", value_parser = parse_scenario)]
    pub scenario: Option<Scenario>,
}

/// Arguments of `golive watch`.
#[derive(Debug, Args)]
#[command(
    mut_arg("env", |a| a.help(
        "The environment(s) to watch, comma separated (default: the manifest's default_env)"
    )),
    mut_arg("all_envs", |a| a.help("Watch every env of the manifest (overrides GOLIVE_ENV)")),
    mut_arg("strict", |a| a.help("Warnings block too (checks of severity info never block)")),
    mut_arg("no_waivers", |a| a.help("Ignore every [[waiver]]")),
    mut_arg("jobs", |a| a.help("How many checks of one run are in flight at once")),
)]
pub struct WatchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub envs: EnvSelection,

    /// Time between two runs of one env; runs of different envs are spread over
    /// it. At least 5m for a production env.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub interval: std::time::Duration,

    /// Address to serve /metrics, /report.json and /healthz on (port 0 picks a
    /// free port; a non-loopback address is warned about).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub run: RunFlags,

    /// For an env with `simulator = true`: the simulator scenario to run.
    #[arg(long, value_name = "NAME", value_parser = parse_scenario)]
    pub scenario: Option<Scenario>,
}

impl WatchArgs {
    /// The `golive check` that each run performs.
    pub fn check_args(&self) -> CheckArgs {
        CheckArgs {
            manifest: self.manifest.clone(),
            envs: self.envs.clone(),
            format: Format::Json,
            report_json: None,
            report_junit: None,
            report_markdown: None,
            run: self.run.clone(),
            // A run never takes longer than the interval it has to fit in.
            timeout: Some(self.interval),
            scenario: self.scenario,
        }
    }
}

/// Arguments of `golive sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Which tier the simulator impersonates; its credentials work only for that tier.
    #[arg(long, value_enum, default_value_t = TierArg::Sandbox)]
    pub tier: TierArg,

    /// Misbehave on purpose. API: healthy, low-balance, blocked-ip, wrong-tier,
    /// rate-limited, vouchers-disabled, postpaid, fulfilment-failures, flaky,
    /// duplicate-deliveries. Webhook receiver: receiver-no-verify, receiver-reserializes,
    /// receiver-rejects-duplicates, receiver-slow, receiver-hangs,
    /// receiver-no-replay-check, receiver-rejects-unknown, receiver-down,
    /// receiver-wrong-secret.
    #[arg(long, value_name = "NAME", default_value = "healthy", value_parser = parse_scenario)]
    pub scenario: Scenario,

    /// Delay every response by this much, e.g. 200ms (for benchmarks).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub latency: Option<std::time::Duration>,

    /// Deliver the simulator's signed webhook events (orders, wallet debits) to this
    /// URL instead of its own reference receiver. It must be https://, as Octopus
    /// registers only HTTPS webhook URLs.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,

    /// For local development: accept a plain http:// --webhook-url whose host is a
    /// loopback address (127.0.0.1, ::1, localhost). Octopus itself never delivers
    /// over plain HTTP.
    #[arg(long)]
    pub allow_http_loopback_webhook: bool,

    /// How long an asynchronous order (quantity 6 or more) stays PENDING: a
    /// duration (default 1s, the simulator's choice, to keep the demo fast) or a
    /// range drawn from uniformly, e.g. 10s..60s (the documented "usually 10 to 60 s").
    #[arg(long, value_name = "DURATION[..DURATION]", value_parser = parse_delay_range)]
    pub async_delay: Option<(std::time::Duration, std::time::Duration)>,
}

/// Arguments of `golive explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding code, e.g. login-rejected. `golive explain --list` lists them all.
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,

    /// List every finding code with its one-line meaning.
    #[arg(long)]
    pub list: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// The sandbox tier.
    Sandbox,
    /// The production tier.
    Production,
}

impl From<TierArg> for crate::tier::Tier {
    fn from(t: TierArg) -> Self {
        match t {
            TierArg::Sandbox => crate::tier::Tier::Sandbox,
            TierArg::Production => crate::tier::Tier::Production,
        }
    }
}

/// Why a flag's value is refused; clap prints it after the flag and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// Not a duration.
    #[error(transparent)]
    Duration(#[from] crate::duration::DurationError),
    /// A zero duration where one must pass.
    #[error("must be longer than zero")]
    Zero,
    /// `--async-delay 60s..10s`.
    #[error("the range's first duration must not exceed the second")]
    Range,
    /// An unknown `--scenario`, with its near miss (`; did you mean ...`) if any.
    #[error("unknown scenario{near} (known: {})", Scenario::names())]
    Scenario {
        /// "; did you mean `x`?", or nothing.
        near: String,
    },
}

/// `5s` or `10s..60s` (min at most max).
fn parse_delay_range(s: &str) -> Result<(std::time::Duration, std::time::Duration), ArgError> {
    let one = |t: &str| crate::duration::parse(t.trim());
    let (lo, hi) = match s.split_once("..") {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let d = one(s)?;
            (d, d)
        }
    };
    if lo > hi {
        return Err(ArgError::Range);
    }
    Ok((lo, hi))
}

/// A `--scenario` name; an unknown one is refused with its near miss and every
/// scenario.
fn parse_scenario(s: &str) -> Result<Scenario, ArgError> {
    Scenario::parse(s).ok_or_else(|| ArgError::Scenario {
        near: crate::manifest::suggest(s, Scenario::ALL.iter().map(|(_, n, _)| *n))
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default(),
    })
}

fn parse_duration(s: &str) -> Result<std::time::Duration, ArgError> {
    let d = crate::duration::parse(s)?;
    if d.is_zero() {
        return Err(ArgError::Zero);
    }
    Ok(d)
}

//! The application: turns parsed arguments into work and an exit code.
//!
//! Errors that mean "nothing was probed" (bad manifest, unknown env, bad flags) are
//! printed to stderr and give exit 2; a report that cannot be written gives exit 4;
//! otherwise the exit code is the verdict. stdout carries only the report.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::cli::{
    Cli, ColorChoice, Command, ExplainArgs, InitArgs, ListArgs, MergeArgs, MergeFormat, ProxyArgs,
    ReportCommand, SimArgs, ValidateArgs, WebhookCommand, WebhookSendArgs,
};
use crate::cmd::{Failure, internal, load, pick_env, print_stdout, unknown_scenario, usage};
use crate::exit::Exit;
use crate::manifest;
use crate::report;
use crate::runner;
use crate::sim::{self, Scenario, SimConfig};

/// Runs golive with parsed arguments and returns the exit code.
pub fn run(cli: Cli) -> Exit {
    let stderr_color = decide_color(cli.color, std::io::stderr().is_terminal());
    // `golive sim` is the simulator itself: its log is what -v is for. Everywhere
    // else a simulator is embedded, and its server log waits for -vv.
    let embedded_sim = !matches!(cli.command, Command::Sim(_));
    init_logging(cli.verbose, cli.quiet, stderr_color, embedded_sim);
    let out_color = decide_color(cli.color, std::io::stdout().is_terminal());
    let result = match cli.command {
        Command::Schema => print_stdout(&format!("{}\n", pretty(&crate::cmd::report_schema()))),
        Command::Explain(args) => explain(&args),
        Command::Validate(args) => validate(&args),
        Command::List(args) => list(&args),
        Command::Init(args) => init(&args),
        Command::Check(args) => {
            with_runtime(|| crate::run::check(&args, out_color, cli.verbose, cli.quiet))
        }
        Command::Sim(args) => with_runtime(|| sim_forever(&args)),
        Command::Watch(args) => with_runtime(|| crate::watch::watch(&args)),
        Command::Webhook(WebhookCommand::Send(args)) => with_runtime(|| webhook_send(&args)),
        Command::Report(ReportCommand::Merge(args)) => merge(&args, out_color, cli.verbose),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "golive", &mut buf);
            print_stdout(&String::from_utf8_lossy(&buf))
        }
        Command::Proxy(args) => with_runtime(|| proxy(&args)),
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut buf) {
                Ok(()) => print_stdout(&String::from_utf8_lossy(&buf)),
                Err(e) => Err(internal(format!("cannot render the man page: {e}"))),
            }
        }
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

fn error_line(message: &str, color: bool) -> String {
    if color {
        use colored::Colorize;
        format!("{} {message}", "error:".red().bold())
    } else {
        format!("error: {message}")
    }
}

fn with_runtime<F, Fut>(f: F) -> Result<Exit, Failure>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Exit, Failure>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| internal(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(f())
}

fn decide_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && (is_terminal || forced),
    };
    // `colored` consults its own global switch; golive decides once and passes the
    // decision down, so the switch is simply left on.
    colored::control::set_override(true);
    on
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

/// `golive validate`: errors (the manifest's, then lint errors) are exit 2 with an
/// empty stdout; warnings go to stderr and block only with `--strict`.
fn validate(args: &ValidateArgs) -> Result<Exit, Failure> {
    let m = load(&args.manifest)?;
    let strict = args.strict || !args.deny.is_empty();
    let blocking = m
        .lints
        .iter()
        .any(|d| d.level == manifest::DiagLevel::Error || strict);
    let lints = manifest::render_lints(&m.lints);
    if blocking {
        let why = if strict
            && m.lints
                .iter()
                .all(|d| d.level == manifest::DiagLevel::Warning)
        {
            " (--strict: warnings are errors)"
        } else {
            ""
        };
        return Err(Failure {
            exit: Exit::Usage,
            message: format!("{lints}{why}"),
            preformatted: true,
        });
    }
    if !lints.is_empty() {
        eprintln!(
            "{}",
            crate::secret::scrub(&crate::text::sanitize_lines(&lints))
        );
    }
    let envs: Vec<&str> = m.envs.iter().map(|e| e.name.as_str()).collect();
    print_stdout(&format!(
        "{}: valid (version {}, envs: {}, {} check{}, {} waiver{}{})\n",
        m.path.display(),
        m.version,
        if envs.is_empty() {
            "none".to_string()
        } else {
            envs.join(", ")
        },
        m.checks.len(),
        if m.checks.len() == 1 { "" } else { "s" },
        m.waivers.len(),
        if m.waivers.len() == 1 { "" } else { "s" },
        match m.lints.len() {
            0 => String::new(),
            1 => ", 1 warning".to_string(),
            n => format!(", {n} warnings"),
        },
    ))
}

/// The starter manifest `golive init` writes.
pub const STARTER_MANIFEST: &str = include_str!("starter.toml");

fn init(args: &InitArgs) -> Result<Exit, Failure> {
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

fn list(args: &ListArgs) -> Result<Exit, Failure> {
    let m = load(&args.manifest)?;
    let env = pick_env(&m, args.env.as_deref())?;
    let planned = runner::plan(&m, &env.name, &[], &[]).map_err(|e| usage(e.to_string()))?;
    let width = planned
        .iter()
        .map(|p| p.spec.id.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, report::human::MAX_COLUMN);
    let mut text = format!(
        "{:width$}  {:13}  {:8}  {}\n",
        "ID", "KIND", "SEVERITY", "TAGS"
    );
    for p in &planned {
        let tags = p.spec.tags.join(",");
        let note = p
            .skip
            .as_ref()
            .map(|s| format!("  (skip: {s})"))
            .unwrap_or_default();
        text.push_str(&format!(
            "{:width$}  {:13}  {:8}  {}{note}\n",
            p.spec.id,
            p.spec.kind,
            p.spec.severity.as_str(),
            if tags.is_empty() { "-" } else { &tags }
        ));
    }
    let runs = planned.iter().filter(|p| p.skip.is_none()).count();
    text.push_str(&format!(
        "{runs} of {} checks run for env `{}` ({})\n",
        planned.len(),
        env.name,
        env.tier
    ));
    print_stdout(&text)
}

fn explain(args: &ExplainArgs) -> Result<Exit, Failure> {
    if args.list {
        let all = crate::checks::all_codes();
        let width = all.iter().map(|c| c.code.len()).max().unwrap_or(0);
        let mut text = String::new();
        for c in all {
            let level = if c.incomplete {
                "error"
            } else {
                c.level.as_str()
            };
            text.push_str(&format!(
                "{:width$}  {:12} {:5}  {}\n",
                c.code, c.check, level, c.title
            ));
        }
        return print_stdout(&text);
    }
    let code = args.code.as_deref().unwrap_or_default();
    let Some(c) = crate::checks::find_code(code) else {
        let near = crate::codes::nearest(code, &crate::checks::all_codes());
        return Err(usage(format!(
            "unknown finding code `{code}`; did you mean {}? (`golive explain --list` lists every code)",
            near.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let level = if c.incomplete {
        "check status error (the probe could not complete)".to_string()
    } else {
        format!("level {}", c.level.as_str())
    };
    let mut text = format!(
        "{}  ({} check, {level})\n\n  {}\n\nWhy it matters\n",
        c.code, c.check, c.title
    );
    text.push_str(&wrap(c.why, 78, "  "));
    text.push_str("\nHow to fix it\n");
    text.push_str(&wrap(c.fix, 78, "  "));
    if let Some(d) = c.docs {
        text.push_str(&format!("\nDocs: {d}\n"));
    }
    print_stdout(&text)
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

async fn sim_forever(args: &SimArgs) -> Result<Exit, Failure> {
    if let Some(url) = &args.webhook_url {
        refuse_url_credentials("--webhook-url", url)?;
        if let Some(fixed) = crate::text::url_without_scheme(url) {
            return Err(usage(crate::text::scheme_missing_message(
                "--webhook-url",
                url,
                &fixed,
            )));
        }
        sim::check_webhook_url(url, args.allow_http_loopback_webhook)
            .map_err(|e| usage(format!("--webhook-url: {e}")))?;
    }
    let scenario =
        Scenario::parse(&args.scenario).ok_or_else(|| unknown_scenario(&args.scenario))?;
    let config = SimConfig {
        listen: args.listen,
        tier: args.tier.into(),
        scenario,
        latency: args.latency.unwrap_or_default(),
        webhook_url: args.webhook_url.clone(),
        allow_http_loopback_webhook: args.allow_http_loopback_webhook,
        async_delay: args.async_delay.unwrap_or(SimConfig::default().async_delay),
        ..SimConfig::default()
    };
    let handle = sim::start(config.clone())
        .await
        .map_err(|e| match &args.webhook_url {
            Some(url) if e.kind() == std::io::ErrorKind::InvalidInput => {
                usage(format!("--webhook-url {}: {e}", blank_userinfo(url)))
            }
            _ => usage(format!("--listen {}: cannot listen: {e}", args.listen)),
        })?;
    if let Some(warning) = listen_warning(handle.addr()) {
        eprintln!("warning: {warning}");
    }
    let allowlist: Vec<String> = handle.allowlist().iter().map(ToString::to_string).collect();
    let text = format!(
        "golive simulator: {tier} tier, scenario {scenario}, listening on {url}\n\
         \n\
         \x20 base_url     {url}\n\
         \x20 api_key      {key} (log in with it as \"username\")\n\
         \x20 api_secret   {secret} (log in with it as \"password\")\n\
         \x20 client IP    {ip} (as the simulated API sees you; allowlist: {allow})\n\
         \x20 IP echo      {url}/ip\n\
         \x20 receiver     {receiver} (reference webhook receiver)\n\
         \x20 webhook key  {whsec} (signs its deliveries; the receiver verifies with it)\n\
         \x20 deliveries   {deliveries}\n\
         \n\
         {getting_started}\
         \n\
         These are the simulator's own throw-away credentials. To check against it:\n\
         \n\
         \x20 [env.local]\n\
         \x20 tier = \"{tier}\"\n\
         \x20 base_url = \"{url}\"\n\
         \x20 api_key = {{ env = \"SIM_API_KEY\" }}\n\
         \x20 api_secret = {{ env = \"SIM_API_SECRET\" }}\n\
         \x20 webhook_url = \"{receiver}\"\n\
         \x20 webhook_secret = {{ env = \"SIM_WEBHOOK_SECRET\" }}\n\
         \n\
         Press Ctrl-C to stop.{verbose_hint}\n",
        tier = config.tier,
        url = handle.base_url(),
        key = handle.api_key().expose(),
        secret = handle.api_secret().expose(),
        ip = handle.client_ip(),
        receiver = handle.receiver_url(),
        whsec = handle.webhook_secret().expose(),
        getting_started = sim_getting_started(&handle),
        deliveries = config.webhook_url.as_deref().map_or_else(
            || "order and wallet events go to the reference receiver".to_string(),
            |u| format!("order and wallet events go to {u}, retried on non-2xx"),
        ),
        allow = if allowlist.is_empty() {
            "none".into()
        } else {
            allowlist.join(", ")
        },
        verbose_hint = if tracing::enabled!(target: "golive::sim", tracing::Level::INFO) {
            ""
        } else {
            " Add -v to log every request."
        },
    );
    print_stdout(&text)?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| internal(format!("cannot wait for Ctrl-C: {e}")))?;
    handle.shutdown();
    eprintln!("simulator stopped");
    Ok(Exit::Ready)
}

/// The warning `golive sim` prints when it listens beyond loopback: its credentials
/// are printed, its API answers anyone, and its receiver shows deliveries.
fn listen_warning(addr: std::net::SocketAddr) -> Option<String> {
    let ip = addr.ip();
    if ip.is_loopback() {
        return None;
    }
    let where_ = if ip.is_unspecified() {
        "on every interface".to_string()
    } else {
        format!("on {ip}, beyond this machine")
    };
    Some(format!(
        "the simulator serves {where_} ({addr}): anyone who can reach this machine can use it with the credentials printed below; use --listen 127.0.0.1:{} to keep it local",
        addr.port()
    ))
}

/// The banner's "first request" block: a working `curl` login (the fields are
/// `username` and `password`) and the products an order may use.
fn sim_getting_started(handle: &sim::SimHandle) -> String {
    let mut out = format!(
        "Log in (the access token is in .data.access_token):\n\
         \n\
         \x20 curl -s -X POST {url}/auth/login -H 'Content-Type: application/json' \\\n\
         \x20   -d '{{\"username\":\"{key}\",\"password\":\"{secret}\"}}'\n\
         \n\
         Products an order may use (POST /api/v1/orders; quantity 1-5 is delivered at once, 6-5000 later):\n",
        url = handle.base_url(),
        key = handle.api_key().expose(),
        secret = handle.api_secret().expose(),
    );
    for line in sim::product_lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
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

async fn webhook_send(args: &WebhookSendArgs) -> Result<Exit, Failure> {
    refuse_url_credentials("--url", &args.url)?;
    if let Some(fixed) = crate::text::url_without_scheme(&args.url) {
        return Err(usage(crate::text::scheme_missing_message(
            "--url", &args.url, &fixed,
        )));
    }
    let url = reqwest::Url::parse(&args.url)
        .map_err(|e| usage(format!("--url {}: {e}", blank_userinfo(&args.url))))?;
    match url.scheme() {
        "https" => {}
        "http" if crate::octopus::is_loopback_host(&url) => {}
        "http" => {
            return Err(usage(format!(
                "--url {url}: refusing plain http:// to a non-loopback host; every delivery carries the secret in X-OCTOPUS-WEBHOOK-TOKEN"
            )));
        }
        other => return Err(usage(format!("--url {url}: unsupported scheme `{other}`"))),
    }
    // An Octopus API host, however spelled (SPEC 8.4), is not a webhook receiver:
    // a delivery carries the webhook secret, which has no business going there.
    if let Some(tier) = crate::tier::Tier::of_host(&url) {
        return Err(usage(format!(
            "--url {url} is the Octopus {tier} API, not a webhook receiver; send deliveries to your own endpoint"
        )));
    }
    let reference = match (&args.secret_env, &args.secret_file) {
        (Some(name), _) => crate::secret::SecretRef::Env(name.clone()),
        (None, Some(path)) => crate::secret::SecretRef::File(path.clone()),
        (None, None) => return Err(usage("give --secret-env NAME or --secret-file PATH")),
    };
    let secret = reference.resolve(Path::new(".")).map_err(|e| {
        let flag = if args.secret_env.is_some() {
            "--secret-env"
        } else {
            "--secret-file"
        };
        usage(format!("{flag}: {e}"))
    })?;
    crate::secret::register(&secret);
    let data: serde_json::Value = match &args.data {
        None => crate::webhook::probe_data(&args.event),
        Some(d) => {
            let text = match d.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| usage(format!("--data @{path}: {e}")))?,
                None => d.clone(),
            };
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| usage(format!("--data is not JSON: {e}")))?;
            if !value.is_object() {
                return Err(usage("--data must be a JSON object (the event's `data`)"));
            }
            value
        }
    };
    let roots = match &args.ca_file {
        Some(p) => {
            let pem =
                std::fs::read(p).map_err(|e| usage(format!("--ca-file {}: {e}", p.display())))?;
            crate::tls::parse_pem_roots(&pem)
                .map_err(|e| usage(format!("--ca-file {}: {e}", p.display())))?
        }
        None => Vec::new(),
    };
    // Both travel as headers (X-Event-ID, X-Event-Type): visible ASCII only.
    for (flag, value) in [
        ("--event", Some(&args.event)),
        ("--event-id", args.event_id.as_ref()),
    ] {
        if let Some(v) = value
            && (v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(usage(format!(
                "{flag} must be non-empty visible ASCII without spaces (it is sent as a header)"
            )));
        }
    }
    let event_id = args
        .event_id
        .clone()
        .unwrap_or_else(crate::webhook::new_event_id);
    let now = jiff::Timestamp::now();
    let timestamp = args.timestamp.unwrap_or(now.as_second());
    let created = now
        .round(jiff::Unit::Second)
        .map_or_else(|_| now.to_string(), |t| t.to_string());
    let body = crate::webhook::event_body(&event_id, &args.event, &created, data);
    let mut delivery = crate::webhook::Delivery::signed(
        secret.expose().as_bytes(),
        &event_id,
        &args.event,
        timestamp,
        body,
    );
    if args.bad_signature {
        delivery.signature = Some(crate::webhook::sign(
            secret.expose().as_bytes(),
            b"golive --bad-signature",
        ));
    }

    let mut builder = crate::octopus::client_builder(&url)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(args.timeout)
        .timeout(args.timeout);
    for r in &roots {
        builder = builder.add_root_certificate(
            reqwest::Certificate::from_der(r.as_ref())
                .map_err(|e| usage(format!("--ca-file: {e}")))?,
        );
    }
    let client = builder
        .build()
        .map_err(|e| internal(format!("cannot build the HTTP client: {e}")))?;
    let mut req = client.post(url.clone()).body(delivery.body.clone());
    for (name, value) in delivery.headers() {
        req = req.header(name, value);
    }
    let mut text = format!("POST {url}\n");
    for (name, value) in delivery.headers() {
        let shown = if name == "X-OCTOPUS-WEBHOOK-TOKEN" {
            "***".to_string()
        } else {
            value
        };
        text.push_str(&format!("> {name}: {shown}\n"));
    }
    text.push_str(&format!(
        "> body: {}\n\n",
        String::from_utf8_lossy(&delivery.body)
    ));
    let started = std::time::Instant::now();
    let exit = match req.send().await {
        Err(e) => {
            let what = if e.is_timeout() {
                format!("no answer within {}", crate::duration::format(args.timeout))
            } else {
                crate::text::describe_http_error(&e)
            };
            text.push_str(&format!("no answer: {what}\n"));
            Exit::Inconclusive
        }
        Ok(resp) => {
            let elapsed = started.elapsed();
            let status = resp.status();
            text.push_str(&format!(
                "< HTTP {} in {} ms\n",
                status.as_u16(),
                elapsed.as_millis()
            ));
            for (name, value) in resp.headers() {
                text.push_str(&format!(
                    "< {name}: {}\n",
                    crate::text::untrusted(value.as_bytes(), 300)
                ));
            }
            // The receiver's answer is untrusted: cleaned and scrubbed line by line,
            // whole, before anything is shortened or printed.
            let body = read_some(resp, 4096).await;
            let shown = crate::secret::scrub(&crate::text::sanitize_lines(
                &String::from_utf8_lossy(&body),
            ));
            // Each line of the answer is marked as the receiver's, so that no line
            // of it can pass for golive's own.
            if !shown.trim().is_empty() {
                text.push_str("<\n");
                for line in shown.trim_end().lines() {
                    text.push_str(&format!("< {line}\n"));
                }
            }
            if status.is_success() {
                Exit::Ready
            } else {
                Exit::NotReady
            }
        }
    };
    print_stdout(&crate::secret::scrub(&text))?;
    Ok(exit)
}

async fn read_some(mut resp: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            _ => break,
        }
    }
    body.truncate(cap);
    body
}

fn merge(args: &MergeArgs, color: bool, verbose: u8) -> Result<Exit, Failure> {
    let mut inputs = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
        inputs.push((path.display().to_string(), text));
    }
    let merged = report::merge::merge(&inputs).map_err(|e| usage(e.to_string()))?;
    // Reports read from files are untrusted text like any other.
    let merged = report::secure::secure(merged).map_err(|e| internal(e.to_string()))?;
    let exit = crate::run::exit_for(merged.verdict);
    let mut buf = Vec::new();
    let rendered = match args.format {
        MergeFormat::Json => serde_json::to_writer_pretty(&mut buf, &merged)
            .map_err(std::io::Error::other)
            .map(|()| buf.push(b'\n')),
        MergeFormat::Markdown => {
            let sources: Vec<String> = inputs.iter().map(|(label, _)| label.clone()).collect();
            report::markdown::render_merged(&merged, &sources, &mut buf)
        }
        MergeFormat::Human => crate::run::render(
            crate::cli::Format::Human,
            &merged.reports,
            color,
            verbose,
            &mut buf,
        ),
    };
    rendered.map_err(|e| internal(format!("cannot render the merged report: {e}")))?;
    print_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(exit)
}

async fn proxy(args: &ProxyArgs) -> Result<Exit, Failure> {
    refuse_url_credentials("--upstream", &args.upstream)?;
    let upstream: crate::proxy::Upstream = args
        .upstream
        .parse()
        .map_err(|e| usage(format!("--upstream {e}")))?;
    let plan = crate::proxy::load_plan(&args.plan).map_err(|e| usage(format!("--plan {e}")))?;
    crate::proxy::run_standalone(args.listen, upstream, plan, args.phase.clone())
        .await
        .map_err(|e| usage(format!("{e:#}")))?;
    Ok(Exit::Ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_beyond_loopback_is_warned_about() {
        let warn = |a: &str| listen_warning(a.parse().unwrap());
        assert_eq!(warn("127.0.0.1:8080"), None);
        assert_eq!(warn("[::1]:8080"), None);
        let every = warn("0.0.0.0:8080").unwrap();
        assert!(
            every.contains("on every interface (0.0.0.0:8080)"),
            "{every}"
        );
        assert!(every.contains("--listen 127.0.0.1:8080"), "{every}");
        assert!(warn("[::]:9").unwrap().contains("on every interface"));
        let lan = warn("192.168.1.5:7000").unwrap();
        assert!(lan.contains("on 192.168.1.5, beyond this machine"), "{lan}");
    }

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

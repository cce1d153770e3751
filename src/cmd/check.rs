//! `golive check`: prepares each selected environment (its simulator, resolved
//! secrets, API client), runs them concurrently, and renders every requested format.
//!
//! One environment gives one [`Report`]; several (`--env a,b`, `--all-envs`) give a
//! [`crate::report::MultiReport`] whose verdict and exit code are the worst of them. Secrets are
//! resolved here, only for the environments being checked, and every resolved value
//! is scrubbed from the reports before anything is rendered.

use anyhow::Context;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Failure, internal, print_stdout, usage};
use crate::checks::Manifest;
use crate::checks::egress::EgressFacts;
use crate::checks::webhook::WebhookTarget;
use crate::checks::{OtherEnv, Target};
use crate::cli::{CheckArgs, Format};
use crate::exit::Exit;
use crate::manifest::{self, EnvSpec};
use crate::octopus::{ClientConfig, OctopusClient};
use crate::report::github::ActionsEnv;
use crate::report::{self, Environment, Report, Status, Tool};
use crate::runner::{self, Planned, Progress, RunOptions};
use crate::secret::{SecretError, SecretRef};
use crate::sim::{self, Scenario, SimConfig, SimHandle};

/// One environment, ready to run.
struct Prepared {
    env: EnvSpec,
    planned: Vec<Planned>,
    target: Arc<Target>,
    api: Arc<OctopusClient>,
    sim: Option<SimHandle>,
}

/// How `golive check` writes what it found, decided once by the caller.
pub(crate) struct Output {
    /// Colour on stdout.
    pub(crate) color: bool,
    /// `-v` count.
    pub(crate) verbose: u8,
    /// `-q`: no progress display.
    pub(crate) quiet: bool,
    /// What GitHub Actions asks for (annotations, a step summary).
    pub(crate) actions: ActionsEnv,
}

/// Runs `golive check`.
pub(crate) async fn check(args: &CheckArgs, output: &Output) -> Result<Exit, Failure> {
    let Output {
        color,
        verbose,
        quiet,
        ref actions,
    } = *output;
    let m = super::load(&args.manifest)?;
    let envs = select_envs(&m, args)?;
    if args.scenario.is_some() && !envs.iter().any(|e| e.simulator) {
        return Err(usage(format!(
            "--scenario applies only to an env with `simulator = true`; {} not one",
            if envs.len() == 1 {
                format!("env `{}` is", envs[0].name)
            } else {
                "none of the selected envs is".to_string()
            }
        )));
    }
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut prepared = Vec::new();
    for env in &envs {
        prepared.push(prepare(&m, env, args, today, envs.len() > 1).await?);
    }
    // With several envs, one may have nothing selected (its report shows why); but a
    // gate that checked nothing at all must not say "ready".
    if !prepared
        .iter()
        .any(|p| p.planned.iter().any(|c| c.skip.is_none()))
    {
        return Err(usage(
            "no check runs in any of the selected envs (see `golive list -e ENV`)",
        ));
    }
    // Before anything is probed, so that a bad report path cannot cost a run.
    create_report_folders(args)?;

    let opts = run_options(args, today);
    let running: usize = prepared
        .iter()
        .map(|p| p.planned.iter().filter(|c| c.skip.is_none()).count())
        .sum();
    let progress =
        (!quiet && std::io::stderr().is_terminal()).then(|| TerminalProgress::new(running));
    let multi = prepared.len() > 1;
    let runs = prepared.into_iter().map(|p| {
        let progress: Option<Arc<dyn Progress>> = progress.clone().map(|bar| {
            let prefix = if multi {
                format!("{}/", p.env.name)
            } else {
                String::new()
            };
            Arc::new(Prefixed { prefix, inner: bar }) as Arc<dyn Progress>
        });
        run_env(p, &m, &opts, progress)
    });
    let reports: Vec<Report> = futures_util::future::join_all(runs).await;
    if let Some(p) = &progress {
        p.bar.finish_and_clear();
    }
    // Nothing is rendered that has not been through the last gate.
    let reports = reports
        .into_iter()
        .map(report::secure::secure_report)
        .collect::<Result<Vec<Report>, _>>()
        .map_err(|e| internal(e.to_string()))?;
    let verdict = report::multi::worst(reports.iter().map(|r| r.verdict));
    let exit = Exit::from(verdict);

    // SPEC 8.8: an output that cannot be written does not cost the verdict. The
    // report still goes to stdout, and then the run exits 4 naming what failed.
    let mut output_error = write_files(args, &reports).err();
    if let Some(path) = &actions.step_summary
        && let Err(e) = report::github::append_step_summary(path, &reports)
    {
        output_error.get_or_insert(internal(format!(
            "cannot append to GITHUB_STEP_SUMMARY {}: {e}",
            path.display()
        )));
    }
    if actions.annotate && args.format != Format::Github {
        // Workflow commands are read from stderr too; stdout keeps the chosen format clean.
        let mut buf = Vec::new();
        let _ = report::github::annotations(&reports, &mut buf);
        eprint!("{}", String::from_utf8_lossy(&buf));
    }
    let mut buf = Vec::new();
    report::render(
        args.format,
        &reports,
        &report::human::HumanOptions { color, verbose },
        &mut buf,
    )
    .context("cannot render the report")?;
    print_stdout(&String::from_utf8_lossy(&buf))?;
    match output_error {
        Some(e) => Err(e),
        None => Ok(exit),
    }
}

fn select_envs(m: &Manifest, args: &CheckArgs) -> Result<Vec<EnvSpec>, Failure> {
    let selection = &args.envs;
    // `-e "a, b"` and a trailing comma are forgiven, as they always were.
    let names: Vec<&str> = selection
        .env
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if selection.all_envs {
        // A GOLIVE_ENV inherited from the environment yields to the flag; an --env
        // typed next to --all-envs is a contradiction.
        if !selection.env_from_variable && !selection.env.is_empty() {
            return Err(usage(format!(
                "--env {} and --all-envs contradict each other; give one of them",
                selection.env.join(",")
            )));
        }
        if m.envs.is_empty() {
            return Err(usage(format!(
                "--all-envs: {} defines no env",
                m.path.display()
            )));
        }
        return Ok(m.envs.clone());
    }
    if names.is_empty() {
        return Ok(vec![super::pick_env(m, None)?.clone()]);
    }
    let mut out: Vec<EnvSpec> = Vec::new();
    for name in names {
        let env = super::pick_env(m, Some(name))?;
        if !out.iter().any(|e| e.name == env.name) {
            out.push(env.clone());
        }
    }
    Ok(out)
}

async fn prepare(
    m: &Manifest,
    env: &EnvSpec,
    args: &CheckArgs,
    today: jiff::civil::Date,
    several: bool,
) -> Result<Prepared, Failure> {
    let scenario = match (env.simulator, args.scenario, &env.scenario) {
        (false, _, _) => Scenario::Healthy,
        (true, Some(s), _) => s,
        (true, None, Some(s)) => Scenario::parse(s).ok_or_else(|| super::unknown_scenario(s))?,
        (true, None, None) => Scenario::Healthy,
    };
    let planned = runner::plan(m, &env.name, &args.run.only, &args.run.skip)
        .map_err(|e| usage(e.to_string()))?;
    if !planned.iter().any(|p| p.skip.is_none()) && !several {
        // A gate that checked nothing must not say "ready".
        return Err(usage(format!(
            "no check runs for env `{}`: {}",
            env.name,
            if planned.is_empty() {
                format!("{} defines no [[check]]", m.path.display())
            } else {
                format!(
                    "all {} checks are skipped (see `golive list -e {}`)",
                    planned.len(),
                    env.name
                )
            }
        )));
    }
    let resolve = |r: &Option<SecretRef>, field: &str| match r {
        Some(r) => r.resolve(&m.base_dir),
        None => Err(SecretError::Missing(format!(
            "{field} is not configured for env `{}`",
            env.name
        ))),
    };

    // The simulator, when this env asks for it, lives as long as the run.
    let sim = if env.simulator {
        Some(
            sim::start(SimConfig {
                tier: env.tier,
                scenario,
                // golive's own webhook check talks plain http to loopback.
                allow_http_loopback_webhook: true,
                ..SimConfig::default()
            })
            .await
            .context("cannot start the simulator")?,
        )
    } else {
        None
    };
    let (base_url, api_key, api_secret) = match &sim {
        Some(h) => (h.url(), Ok(h.api_key().clone()), Ok(h.api_secret().clone())),
        None => (
            env.base_url.clone().unwrap_or_else(|| {
                reqwest::Url::parse(env.tier.canonical_url()).expect("canonical URLs are valid")
            }),
            resolve(&env.api_key, "api_key"),
            resolve(&env.api_secret, "api_secret"),
        ),
    };
    let ca_pem = match &env.ca_file {
        Some(p) => {
            let full = if p.is_absolute() {
                p.clone()
            } else {
                m.base_dir.join(p)
            };
            Some(std::fs::read(&full).map_err(|e| {
                usage(format!(
                    "env `{}`: ca_file {} cannot be read: {e}",
                    env.name,
                    full.display()
                ))
            })?)
        }
        None => None,
    };
    let extra_roots = match &ca_pem {
        Some(pem) => crate::tls::parse_pem_roots(pem)
            .map_err(|e| usage(format!("env `{}`: ca_file {e}", env.name)))?,
        None => Vec::new(),
    };
    let (webhook, egress) = match &sim {
        Some(h) => (
            WebhookTarget {
                url: reqwest::Url::parse(&h.receiver_url()).ok(),
                secret: Ok(h.webhook_secret().clone()),
                extra_roots: Vec::new(),
            },
            EgressFacts {
                allowlist: Some(h.allowlist()),
                egress_ip: Some(manifest::EgressIpSpec::Auto),
                echo_url: h.url().join("ip").ok(),
                extra_roots: Vec::new(),
            },
        ),
        None => (
            WebhookTarget {
                url: env.webhook_url.clone(),
                secret: resolve(&env.webhook_secret, "webhook_secret"),
                extra_roots: extra_roots.clone(),
            },
            EgressFacts {
                allowlist: env.egress_allowlist.clone(),
                egress_ip: env.egress_ip.clone(),
                echo_url: env.egress_echo_url.clone(),
                extra_roots,
            },
        ),
    };
    for s in [&api_key, &api_secret, &webhook.secret]
        .into_iter()
        .flatten()
    {
        crate::secret::register(s);
    }
    let others = other_envs(m, &env.name);
    let api = OctopusClient::new(ClientConfig {
        base_url: base_url.clone(),
        tier: env.tier,
        ca_pem,
    })
    .map_err(|e| usage(format!("env `{}`: {e}", env.name)))?;
    let target = Arc::new(Target {
        env: env.clone(),
        base_url,
        api_key,
        api_secret,
        others,
        client: m.client.clone(),
        egress,
        webhook,
        today,
    });
    Ok(Prepared {
        env: env.clone(),
        planned,
        target,
        api,
        sim,
    })
}

/// One run of the selected checks of one env, as `golive check` runs it, for
/// `golive watch`: its report, secured for rendering. `client_retry` checks are
/// skipped (they start the integration's own command; never on a schedule).
pub(crate) async fn run_once(
    m: &Manifest,
    env: &EnvSpec,
    args: &CheckArgs,
    several: bool,
) -> Result<Report, Failure> {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut p = prepare(m, env, args, today, several).await?;
    for planned in &mut p.planned {
        if planned.skip.is_none() && !planned.spec.settings.runs_in_watch() {
            planned.skip = Some(format!("{} never runs in watch mode", planned.spec.kind));
        }
    }
    let opts = run_options(args, today);
    let report = run_env(p, m, &opts, None).await;
    report::secure::secure_report(report).map_err(|e| internal(e.to_string()))
}

/// How a run of `args` runs.
fn run_options(args: &CheckArgs, today: jiff::civil::Date) -> RunOptions {
    RunOptions {
        jobs: usize::from(args.run.jobs),
        timeout: args.timeout,
        strict: args.run.strict,
        use_waivers: !args.run.no_waivers,
        today,
    }
}

/// The envs `args` select (`-e a,b`, `--all-envs`, or the default env).
pub(crate) fn selected_envs(m: &Manifest, args: &CheckArgs) -> Result<Vec<EnvSpec>, Failure> {
    select_envs(m, args)
}

async fn run_env(
    p: Prepared,
    m: &Manifest,
    opts: &RunOptions,
    progress: Option<Arc<dyn Progress>>,
) -> Report {
    let started_at = jiff::Timestamp::now();
    let clock = std::time::Instant::now();
    let base_url = p
        .target
        .base_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let checks = runner::run(&p.planned, p.target, p.api, &m.waivers, opts, progress).await;
    if let Some(h) = p.sim {
        h.shutdown();
    }
    let verdict = runner::verdict(&checks);
    Report {
        schema_version: report::SCHEMA_VERSION,
        tool: Tool {
            name: "golive".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        manifest: m.path.display().to_string(),
        environment: Environment {
            name: p.env.name.clone(),
            tier: p.env.tier,
            base_url,
            simulator: p.env.simulator,
        },
        started_at: started_at.round(jiff::Unit::Second).unwrap_or(started_at),
        duration_ms: clock.elapsed().as_millis() as u64,
        verdict,
        exit_code: verdict.exit_code(),
        summary: Report::summarize(&checks),
        checks,
    }
}

/// Every `--report-*` flag with its path and format.
fn report_paths(args: &CheckArgs) -> [(&'static str, Option<&std::path::PathBuf>, Format); 3] {
    [
        ("--report-json", args.report_json.as_ref(), Format::Json),
        ("--report-junit", args.report_junit.as_ref(), Format::Junit),
        (
            "--report-markdown",
            args.report_markdown.as_ref(),
            Format::Markdown,
        ),
    ]
}

/// Creates the missing folders of every report path (SPEC 8.8); a folder that
/// cannot be created (its parent is a file, no permission) is a usage error,
/// found before anything is probed.
fn create_report_folders(args: &CheckArgs) -> Result<(), Failure> {
    for (flag, path, _) in report_paths(args) {
        let Some(path) = path else { continue };
        let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            continue;
        };
        if folder.is_dir() {
            continue;
        }
        std::fs::create_dir_all(folder).map_err(|e| {
            usage(format!(
                "{flag} {}: cannot create its folder {}: {e}",
                path.display(),
                folder.display()
            ))
        })?;
    }
    Ok(())
}

/// Writes every report file it can; the first failure, if any.
fn write_files(args: &CheckArgs, reports: &[Report]) -> Result<(), Failure> {
    let mut first_error = None;
    for (_, path, format) in report_paths(args) {
        if let Some(path) = path {
            let mut buf = Vec::new();
            let plain = report::human::HumanOptions::default();
            let written = report::render(format, reports, &plain, &mut buf)
                .map_err(|e| internal(format!("cannot render {}: {e}", path.display())))
                .and_then(|()| write_file(path, &buf));
            if let Err(e) = written {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| {
        internal(format!(
            "cannot write the report to {}: {e}",
            path.display()
        ))
    })
}

fn other_envs(m: &Manifest, selected: &str) -> Vec<OtherEnv> {
    m.envs
        .iter()
        .filter(|e| e.name != selected)
        .map(|e| {
            let digest_of = |r: &Option<SecretRef>| {
                r.as_ref().map(|r| {
                    // Resolved only to compare digests; a missing value is simply not compared.
                    let resolved = r.resolve(&m.base_dir).ok();
                    if let Some(s) = &resolved {
                        crate::secret::register(s);
                    }
                    (r.clone(), resolved.map(|s| s.digest()))
                })
            };
            OtherEnv {
                name: e.name.clone(),
                tier: e.tier,
                simulator: e.simulator,
                key: digest_of(&e.api_key),
                secret: digest_of(&e.api_secret),
            }
        })
        .collect()
}

/// The live progress display: only on a terminal, only on stderr.
struct TerminalProgress {
    bar: indicatif::ProgressBar,
    running: Mutex<Vec<String>>,
}

impl TerminalProgress {
    fn new(total: usize) -> Arc<Self> {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} checks {pos}/{len} [{elapsed}] {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Arc::new(TerminalProgress {
            bar,
            running: Mutex::new(Vec::new()),
        })
    }

    fn show(&self, running: &[String]) {
        self.bar.set_message(if running.is_empty() {
            String::new()
        } else {
            format!("running: {}", running.join(", "))
        });
    }
}

impl Progress for TerminalProgress {
    fn started(&self, id: &str) {
        let mut r = self.running.lock().unwrap_or_else(|e| e.into_inner());
        r.push(id.to_string());
        self.show(&r);
    }

    fn finished(&self, id: &str, status: Status) {
        let mut r = self.running.lock().unwrap_or_else(|e| e.into_inner());
        r.retain(|x| x != id);
        self.show(&r);
        self.bar.inc(1);
        if matches!(status, Status::Fail | Status::Error) {
            self.bar
                .println(format!("  {} {id}", status.as_str().to_uppercase()));
        }
    }
}

/// Names checks `env/check` when several environments share one display.
struct Prefixed {
    prefix: String,
    inner: Arc<TerminalProgress>,
}

impl Progress for Prefixed {
    fn started(&self, id: &str) {
        self.inner.started(&format!("{}{id}", self.prefix));
    }

    fn finished(&self, id: &str, status: Status) {
        self.inner.finished(&format!("{}{id}", self.prefix), status);
    }
}

//! `golive watch`: the same checks, every `--interval`, served to Prometheus
//! (SPEC section 7).
//!
//! One task per env runs the env's checks exactly as `golive check` would
//! ([`super::check::run_once`]: the same production safety per run), then sleeps
//! until its next turn; env `i` of `n` starts `i/n` of an interval after the
//! first, so runs of different envs spread over the interval, and one env's runs
//! never overlap. What is served ([`crate::watch`]) is updated after each run. A
//! check whose status changes between two runs of its env prints one line on
//! stderr. SIGINT or SIGTERM stops everything within a moment; a run in progress
//! is abandoned.

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::checks::Manifest;
use crate::cli::WatchArgs;
use crate::exit::Exit;
use crate::manifest::EnvSpec;
use crate::watch::{Shared, State, check_interval, lock, router};

use super::{Failure, usage};

/// Runs `golive watch` until SIGINT or SIGTERM.
pub(crate) async fn watch(args: &WatchArgs) -> Result<Exit, Failure> {
    let m: Manifest = super::load(&args.manifest)?;
    let check_args = args.check_args();
    let envs = super::check::selected_envs(&m, &check_args)?;
    check_interval(&envs, args.interval).map_err(|e| usage(e.to_string()))?;
    if args.scenario.is_some() && !envs.iter().any(|e| e.simulator) {
        return Err(usage(
            "--scenario applies only to an env with `simulator = true`",
        ));
    }
    // Selection errors (--only/--skip) and envs that would check nothing are
    // usage errors now, not after the first interval.
    for env in &envs {
        let planned =
            crate::runner::plan(&m, &env.name, &check_args.run.only, &check_args.run.skip)
                .map_err(|e| usage(e.to_string()))?;
        if envs.len() == 1 && !planned.iter().any(|p| p.skip.is_none()) {
            return Err(usage(format!(
                "no check runs for env `{}` (see `golive list -e {}`)",
                env.name, env.name
            )));
        }
    }

    let state: Shared = Arc::new(Mutex::new(State {
        envs: envs.iter().map(|e| e.name.clone()).collect(),
        ..State::default()
    }));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| usage(format!("--listen {}: cannot listen: {e}", args.listen)))?;
    let addr: SocketAddr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    eprintln!("listening on http://{addr}");
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {addr}, which is not loopback: the reports describe your \
             infrastructure (hosts, wallets, allowlists); keep this port private"
        );
    }
    let server = tokio::spawn({
        let app = router(state.clone());
        async move { axum::serve(listener, app).await }
    });

    let m = Arc::new(m);
    let check_args = Arc::new(check_args);
    let several = envs.len() > 1;
    let count = envs.len() as u32;
    let mut loops = tokio::task::JoinSet::new();
    for (i, env) in envs.into_iter().enumerate() {
        let offset = args.interval / count * i as u32;
        loops.spawn(env_loop(
            env,
            m.clone(),
            check_args.clone(),
            several,
            args.interval,
            offset,
            state.clone(),
        ));
    }

    let stopped = stop_signal().await;
    loops.abort_all();
    server.abort();
    stopped.map(|()| Exit::Ready)
}

/// Runs one env's checks every `interval`, starting after `offset`.
async fn env_loop(
    env: EnvSpec,
    m: Arc<Manifest>,
    args: Arc<crate::cli::CheckArgs>,
    several: bool,
    interval: Duration,
    offset: Duration,
    state: Shared,
) {
    let start = tokio::time::Instant::now() + offset;
    let mut ticks = tokio::time::interval_at(start, interval);
    // A run longer than the interval delays the next; runs never pile up.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match super::check::run_once(&m, &env, &args, several).await {
            Ok(report) => {
                let finished = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
                tracing::info!(
                    "env {}: {} in {} ms",
                    env.name,
                    report.verdict.as_str(),
                    report.duration_ms
                );
                for line in lock(&state).record(report, finished) {
                    eprintln!("{line}");
                }
            }
            // A run that could not even start (a ca_file that went missing, say)
            // is said once per run; the previous report stays served.
            Err(e) => eprintln!("env {}: run skipped: {}", env.name, e.message()),
        }
    }
}

/// Waits for SIGINT or SIGTERM.
async fn stop_signal() -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot wait for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => Ok(r.context("cannot wait for Ctrl-C")?),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?)
    }
}

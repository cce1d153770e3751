//! `golive proxy`: the fault-injecting reverse proxy ([`crate::proxy`]),
//! standalone, until Ctrl-C.
//!
//! Prints the proxy's URL (and, for a simulator upstream, the simulator's
//! throw-away credentials) to stdout, and one line per request to stderr.

use std::io::Write;
use std::time::Duration;

use crate::cli::ProxyArgs;
use crate::exit::Exit;
use crate::proxy::{ProxyConfig, Upstream, check_upstream, load_plan, serve};
use crate::sim::{self, SimConfig};

use super::{Failure, refuse_url_credentials, usage};

/// Runs `golive proxy`: serves the plan's phase (`--phase`, by default the first)
/// on `--listen` in front of `--upstream` until Ctrl-C.
pub(crate) async fn proxy(args: &ProxyArgs) -> Result<Exit, Failure> {
    refuse_url_credentials("--upstream", &args.upstream)?;
    let upstream: Upstream = args
        .upstream
        .parse()
        .map_err(|e| usage(format!("--upstream {e}")))?;
    let plan = load_plan(&args.plan).map_err(|e| usage(format!("--plan {e}")))?;
    let listen = args.listen;
    let phase_plan = match &args.phase {
        Some(name) => plan.phase(name).cloned().ok_or_else(|| {
            usage(format!(
                "plan `{}` has no phase `{name}` (its phases: {})",
                plan.name,
                plan.phase_names()
            ))
        })?,
        None => plan
            .phases
            .first()
            .cloned()
            .ok_or_else(|| usage(format!("plan `{}` has no phase", plan.name)))?,
    };
    let (upstream_url, sim_handle) = match upstream {
        Upstream::Sim => {
            let handle = sim::start(SimConfig::default())
                .await
                .map_err(|e| usage(format!("cannot start the simulator: {e}")))?;
            (handle.url(), Some(handle))
        }
        Upstream::Url(url) => {
            check_upstream(&url).map_err(|e| usage(format!("--upstream {e}")))?;
            (url, None)
        }
    };
    if !listen.ip().is_loopback() {
        eprintln!(
            "warning: golive proxy listens on {listen}, which is not loopback: anyone who can reach it can use your sandbox through it"
        );
    }
    let (lines, mut requests) = tokio::sync::mpsc::unbounded_channel();
    let handle = serve(ProxyConfig {
        listen,
        upstream: upstream_url.clone(),
        phase: phase_plan.clone(),
        extra_roots: Vec::new(),
        request_lines: Some(lines),
    })
    .await
    .map_err(|e| usage(format!("--listen {listen}: cannot listen: {e}")))?;

    let mut text = format!(
        "golive proxy: listening on {url}\n\n\x20 upstream     {upstream}{what}\n\x20 plan         {plan} (phases: {phases}); serving phase {phase}\n",
        url = handle.url(),
        upstream = upstream_url.as_str().trim_end_matches('/'),
        what = if sim_handle.is_some() {
            " (golive's simulator, sandbox tier)"
        } else {
            ""
        },
        plan = plan.name,
        phases = plan.phase_names(),
        phase = phase_plan.name,
    );
    if let Some(h) = &sim_handle {
        text.push_str(&format!(
            "\x20 api_key      {}\n\x20 api_secret   {}\n",
            h.api_key().expose(),
            h.api_secret().expose()
        ));
    }
    text.push_str(&format!(
        "\nPoint your client at it, e.g. OCTOPUS_BASE_URL={}. One line per request goes to stderr:\n\
         #n +offset method path -> status injected|passed ref=client_reference id=X-Request-Id.\n\
         Press Ctrl-C to stop.\n",
        handle.url()
    ));
    {
        // A banner that cannot be written stops the proxy, as it always has.
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| usage(e.to_string()))?;
    }

    let mut stop_reported = false;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            r = &mut ctrl_c => {
                r.map_err(|e| usage(format!("cannot wait for Ctrl-C: {e}")))?;
                break;
            }
            Some(line) = requests.recv() => eprintln!("{line}"),
            _ = tick.tick() => {
                if !stop_reported && handle.stop_requested() {
                    stop_reported = true;
                    eprintln!(
                        "{}: more than {} order attempts: stop the command now (golive judges this attempts-unbounded)",
                        phase_plan.name,
                        phase_plan.stop_after.unwrap_or_default()
                    );
                }
            }
        }
    }
    // Requests answered before the stop still get their line.
    while let Ok(line) = requests.try_recv() {
        eprintln!("{line}");
    }
    let count = handle.timeline().entries.len();
    handle.shutdown();
    drop(sim_handle);
    eprintln!("proxy stopped after {count} request(s)");
    Ok(Exit::Ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: std::net::SocketAddr, upstream: &str, phase: Option<&str>) -> ProxyArgs {
        ProxyArgs {
            listen,
            upstream: upstream.into(),
            plan: "default".into(),
            phase: phase.map(Into::into),
        }
    }

    #[tokio::test]
    async fn serves_a_phase_in_front_of_the_simulator() {
        // A port that was free a moment ago.
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let task = tokio::spawn({
            let args = args(listen, "sim", Some("outage"));
            async move { proxy(&args).await }
        });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!("http://{listen}/api/v1/orders");
        let order = serde_json::json!({
            "product_id": 123, "denomination": 10, "quantity": 1, "client_reference": "r"
        });
        let mut status = None;
        for _ in 0..100 {
            if let Ok(resp) = http.post(&url).json(&order).send().await {
                status = Some(resp.status().as_u16());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            status,
            Some(503),
            "the outage phase answers every order POST 503"
        );
        // A login passes through to the simulator (and fails there: no credentials).
        let resp = http
            .post(format!("http://{listen}/auth/login"))
            .json(&serde_json::json!({"username": "x", "password": "y"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        assert!(!task.is_finished());
        task.abort();

        let e = proxy(&args(listen, "sim", Some("chaos")))
            .await
            .unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        assert_eq!(
            e.message(),
            "plan `default` has no phase `chaos` (its phases: faults, outage)"
        );
        let e = proxy(&args(listen, "https://api.octopuscards.io", None))
            .await
            .unwrap_err();
        assert!(
            e.message().starts_with(
                "--upstream https://api.octopuscards.io/ is the production Octopus API"
            ),
            "{}",
            e.message()
        );
    }
}

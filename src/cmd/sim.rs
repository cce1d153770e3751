//! `golive sim`: runs the simulator and its reference webhook receiver on
//! loopback until Ctrl-C, after printing its URL and throw-away credentials.

use crate::cli::SimArgs;
use crate::exit::Exit;
use crate::sim::{self, SimConfig};
use anyhow::Context;

use super::{Failure, blank_userinfo, print_stdout, refuse_url_credentials, usage};

/// Runs `golive sim`.
pub(crate) async fn sim_forever(args: &SimArgs) -> Result<Exit, Failure> {
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
    let scenario = args.scenario;
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
        .context("cannot wait for Ctrl-C")?;
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
}

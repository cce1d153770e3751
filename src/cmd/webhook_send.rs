//! `golive webhook send`: one delivery signed exactly as Octopus signs, and the
//! receiver's answer, like a signed `curl`.

use anyhow::Context;
use std::path::Path;

use crate::cli::WebhookSendArgs;
use crate::exit::Exit;

use super::{Failure, blank_userinfo, print_stdout, refuse_url_credentials, usage};

/// Runs `golive webhook send`.
pub(crate) async fn webhook_send(args: &WebhookSendArgs) -> Result<Exit, Failure> {
    refuse_url_credentials("--url", &args.url)?;
    if let Some(fixed) = crate::text::url_without_scheme(&args.url) {
        return Err(usage(crate::text::scheme_missing_message(
            "--url", &args.url, &fixed,
        )));
    }
    let url = reqwest::Url::parse(&args.url).map_err(|e| {
        usage(format!(
            "--url {}: {}",
            blank_userinfo(&args.url),
            crate::text::url_problem(e)
        ))
    })?;
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
    let client = builder.build().context("cannot build the HTTP client")?;
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

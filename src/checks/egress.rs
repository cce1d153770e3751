//! `kind = "egress"`: is the address Octopus sees inside the allowlist, and is the
//! allowlist itself sane?
//!
//! The egress address comes from an echo service (`egress_ip = "auto"`), or from the
//! declared NAT addresses (every one must be allowlisted, since traffic may leave by
//! any of them). The API's own answer is the final word: a 403 `FORBIDDEN` at login
//! means this machine's address is refused, even when the address itself is unknown.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::Url;
use tokio::time::Instant;

use super::{
    CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, NoSettings, evidence, settings,
};
use crate::codes;
use crate::finding::{Finding, Level};
use crate::manifest::EgressIpSpec;
use crate::manifest::KindDef;
use crate::netclass;
use crate::octopus::ApiError;
use crate::tier::Tier;

/// Largest echo-service answer golive reads.
const MAX_ECHO_BYTES: usize = 4096;

/// The egress facts of the env being checked (the simulator supplies them for a
/// simulator env).
#[derive(Debug, Clone, Default)]
pub struct EgressFacts {
    /// CIDRs given to the account manager; `None` when not configured.
    pub allowlist: Option<Vec<IpNet>>,
    /// How to learn the egress address.
    pub egress_ip: Option<EgressIpSpec>,
    /// The "what is my IP" service for `auto`.
    pub echo_url: Option<Url>,
    /// Extra trusted roots from the env's `ca_file` (SPEC 8.7: it applies to every
    /// HTTPS call golive makes for the env, the echo service included).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// `kind = "egress"`: no keys of its own.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "egress",
        about: "the egress address is inside the allowlist, and the allowlist itself is sane",
        keys: &[],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |_| {
            settings(NoSettings {
                title: "Egress IP is inside the allowlist",
                run: |ctx| Box::pin(run(ctx)),
                reports_login: false,
            })
        },
    },
    codes: CODES,
    evidence_about: "The allowlist, the egress addresses and the API's own verdict.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    let strings = evidence::strings();
    serde_json::json!({
        "allowlist": strings,
        "echo_url": string,
        "egress_ips": {
            "type": "array",
            "items": { "type": "object", "properties": {
                "ip": string,
                "source": { "enum": ["declared", "echo"] },
                "inside": { "type": ["string", "null"], "description": "The allowlisted range that holds it." }
            } }
        },
        "login": { "type": "string", "description": "What the API said to the run's login from this address." }
    })
}

codes::declare_codes! {
    CODES;
    EGRESS_IP_UNKNOWN = { "egress-ip-unknown", "egress", Fail, true,
        "golive could not learn the egress address to compare with the allowlist.",
        "Without the address Octopus sees, nobody can tell whether production traffic will be refused with 403 on launch day.",
        "Set egress_ip to your NAT address(es), or egress_ip = \"auto\" with an egress_echo_url reachable from where golive runs (it must answer with the address as plain text or as JSON {\"ip\": ...}).",
        Some(codes::DOCS_PRODUCTION) }
    EGRESS_OUTSIDE_ALLOWLIST = { "egress-outside-allowlist", "egress", Fail, false,
        "An egress address is in none of the allowlisted ranges.",
        "With an allowlist configured, Octopus refuses every request (login included) from any other address with 403: the integration is down from that path.",
        "Add the address's range to the allowlist you give your account manager, or route egress through an allowlisted NAT gateway. Every NAT address traffic may leave by must be listed.",
        Some(codes::DOCS_PRODUCTION) }
    EGRESS_IP_FORBIDDEN = { "egress-ip-forbidden", "egress", Fail, false,
        "The API answered 403 FORBIDDEN \"IP address not authorized\" at login.",
        "This is the API's own verdict on the address golive called from: the allowlist Octopus holds does not include it, whatever the manifest says.",
        "Compare the address in the evidence with the ranges your account manager configured; ask them to add the missing range, then run golive again from the same path.",
        Some(codes::DOCS_ERRORS) }
    ALLOWLIST_EMPTY = { "allowlist-empty", "egress", Warn, false,
        "No egress allowlist is configured.",
        "The allowlist is optional but recommended: without it, leaked production credentials work from any address.",
        "If production runs from fixed addresses (VPC NAT gateways, bare metal), give their CIDRs to your account manager and list them in egress_allowlist. Skip it only for workloads with ephemeral public IPs.",
        Some(codes::DOCS_PRODUCTION) }
}

/// Runs the egress check.
pub async fn run(ctx: &CheckContext) -> CheckOutcome {
    let t = &*ctx.target;
    let facts = &t.egress;
    let mut out = CheckOutcome::default();
    let allowlist = facts.allowlist.clone().unwrap_or_default();
    out.evidence(
        "allowlist",
        allowlist
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    lint_allowlist(&allowlist, t.tier(), t.env.simulator, &mut out);

    // Which addresses leave this network.
    let mut addrs: Vec<(IpAddr, &str)> = Vec::new();
    let wants_echo = match &facts.egress_ip {
        Some(EgressIpSpec::Addrs(list)) => {
            addrs.extend(list.iter().map(|ip| (*ip, "declared")));
            false
        }
        Some(EgressIpSpec::Auto) => true,
        // Not configured: ask the echo service if there is one; otherwise the API's
        // answer to the run's login is the evidence (see below).
        None => facts.echo_url.is_some(),
    };
    if wants_echo {
        match &facts.echo_url {
            None => out.findings.push(Finding::incomplete(
                &EGRESS_IP_UNKNOWN,
                "the egress address is unknown: set egress_ip to the NAT address(es), or egress_ip = \"auto\" with egress_echo_url",
            )),
            Some(url) => {
                out.evidence("echo_url", url.as_str());
                match fetch_egress_ip(url, &facts.extra_roots, ctx.deadline).await {
                    Ok(ip) => addrs.push((ip, "echo")),
                    // The run's --timeout ended the wait: the echo service is not to blame.
                    Err(_) if ctx.run_deadline_binds && Instant::now() >= ctx.deadline => out
                        .findings
                        .push(ctx.timeout_finding("the egress echo service")),
                    Err(e) => out
                        .findings
                        .push(Finding::incomplete(&EGRESS_IP_UNKNOWN, format!("cannot learn the egress address from {url}: {e}"))),
                }
            }
        }
    }
    let mut listed = Vec::new();
    for (ip, source) in &addrs {
        let inside = allowlist.iter().find(|net| contains(net, *ip));
        listed.push(serde_json::json!({ "ip": ip.to_string(), "source": source, "inside": inside.map(ToString::to_string) }));
        if !allowlist.is_empty() && inside.is_none() {
            out.findings.push(Finding::new(
                &EGRESS_OUTSIDE_ALLOWLIST,
                format!(
                    "egress address {ip} ({source}) is in none of the allowlisted ranges {}",
                    join(&allowlist)
                ),
            ));
        }
    }
    out.evidence("egress_ips", listed);

    // The API's own verdict, from the run's shared login (no extra call if another
    // check already logged in).
    let mut api_accepted = None;
    if let Some(creds) = t
        .credentials()
        .filter(|_| super::login_blocker(t).is_none())
    {
        match ctx.api.login(Some(&creds), &ctx.log, ctx.deadline).await {
            Err(e @ ApiError::Forbidden { .. }) if e.code().is_none_or(|c| c == "FORBIDDEN") => {
                out.evidence("login", e.to_string());
                let ips = if addrs.is_empty() {
                    "this machine's address".to_string()
                } else {
                    addrs
                        .iter()
                        .map(|(ip, _)| ip.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.findings.push(Finding::new(
                    &EGRESS_IP_FORBIDDEN,
                    format!("the API refused login with 403 FORBIDDEN (IP address not authorized) from {ips}"),
                ));
                api_accepted = Some(false);
            }
            Err(e) => out.evidence("login", format!("not judged: {e}")),
            Ok(_) => {
                out.evidence("login", "accepted from this address");
                api_accepted = Some(true);
            }
        }
    }
    if addrs.is_empty()
        && !allowlist.is_empty()
        && facts.egress_ip.is_none()
        && api_accepted.is_none()
    {
        out.findings.push(Finding::incomplete(
            &EGRESS_IP_UNKNOWN,
            "the egress address is unknown and no login could ask the API: set egress_ip (or egress_ip = \"auto\" with egress_echo_url)",
        ));
    }
    let summary = match addrs.as_slice() {
        [] if api_accepted == Some(true) => {
            "the API accepted login from this machine's address".to_string()
        }
        [] if allowlist.is_empty() => "no allowlist and no egress address to compare".to_string(),
        [] => format!(
            "allowlist {} (egress address not checked)",
            join(&allowlist)
        ),
        _ => format!(
            "{} inside {}",
            addrs
                .iter()
                .map(|(ip, _)| ip.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if allowlist.is_empty() {
                "an empty allowlist (any address allowed)".to_string()
            } else {
                join(&allowlist)
            }
        ),
    };
    out.pass_summary = Some(summary);
    out
}

fn join(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `net` holds `ip`, treating IPv4 and IPv4-mapped IPv6 forms as one address.
pub fn contains(net: &IpNet, ip: IpAddr) -> bool {
    let canonical = netclass::canonical(ip);
    let mapped = match canonical {
        IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
        IpAddr::V6(_) => None,
    };
    net.contains(&ip) || net.contains(&canonical) || mapped.is_some_and(|m| net.contains(&m))
}

/// Lints the allowlist itself. Pure, so it is table-tested.
pub fn lint_allowlist(allowlist: &[IpNet], tier: Tier, simulator: bool, out: &mut CheckOutcome) {
    if allowlist.is_empty() {
        let level = if tier == Tier::Production && !simulator {
            Level::Warn
        } else {
            Level::Info
        };
        out.findings.push(
            Finding::new(&ALLOWLIST_EMPTY, format!("no egress allowlist for this {tier} env: any source address can use the credentials"))
                .with_level(level),
        );
        return;
    }
    out.findings.extend(
        allowlist_entry_findings(allowlist)
            .into_iter()
            .map(|(_, f)| f),
    );
}

pub use crate::allowlist::allowlist_entry_findings;

/// Asks an echo service for this machine's public address: plain text or a JSON
/// object with an `ip` field; IPv4 or IPv6. `extra_roots` (the env's `ca_file`) are
/// trusted besides the system's roots.
pub async fn fetch_egress_ip(
    url: &Url,
    extra_roots: &[rustls::pki_types::CertificateDer<'static>],
    deadline: Instant,
) -> Result<IpAddr, String> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err("no time left".into());
    }
    let mut builder = crate::octopus::client_builder(url)
        .connect_timeout(remaining.min(Duration::from_secs(10)))
        .timeout(remaining)
        .redirect(reqwest::redirect::Policy::limited(3));
    for root in extra_roots {
        let cert =
            reqwest::Certificate::from_der(root.as_ref()).map_err(|e| format!("ca_file: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let fetch = async {
        let mut resp = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| crate::text::describe_http_error(&e))?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| crate::text::describe_http_error(&e))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ECHO_BYTES {
                return Err(format!(
                    "the answer is longer than {MAX_ECHO_BYTES} bytes; not an IP echo"
                ));
            }
        }
        parse_echo(&body)
    };
    tokio::time::timeout(remaining, fetch)
        .await
        .map_err(|_| "no answer in time".to_string())?
}

/// Parses an echo answer: `203.0.113.7\n`, or `{"ip": "2001:db8::7"}`.
pub fn parse_echo(body: &[u8]) -> Result<IpAddr, String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip);
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(ip) = v.get("ip").and_then(|i| i.as_str())
    {
        return ip.trim().parse().map_err(|_| {
            format!(
                "`ip` is not an address: {}",
                crate::text::untrusted_str(ip, 60)
            )
        });
    }
    Err(format!(
        "the answer is not an IP address: `{}`",
        crate::text::untrusted_str(text, 60)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(nets: &[&str], tier: Tier) -> Vec<(String, Level)> {
        let nets: Vec<IpNet> = nets.iter().map(|n| n.parse().unwrap()).collect();
        let mut out = CheckOutcome::default();
        lint_allowlist(&nets, tier, false, &mut out);
        out.findings
            .into_iter()
            .map(|f| (f.code, f.level))
            .collect()
    }

    #[test]
    fn allowlist_lints() {
        use Level::*;
        let s = |c: &str, l| (c.to_string(), l);
        assert_eq!(lint(&[], Tier::Production), [s("allowlist-empty", Warn)]);
        assert_eq!(lint(&[], Tier::Sandbox), [s("allowlist-empty", Info)]);
        assert!(lint(&["203.0.113.0/28", "2001:db8:1::/48"], Tier::Production).is_empty());
        assert_eq!(
            lint(&["0.0.0.0/0"], Tier::Production),
            [s("allowlist-too-broad", Fail)]
        );
        assert_eq!(
            lint(&["::/0"], Tier::Production),
            [s("allowlist-too-broad", Fail)]
        );
        assert_eq!(
            lint(&["8.0.0.0/8"], Tier::Production),
            [s("allowlist-too-broad", Warn)]
        );
        assert_eq!(
            lint(&["2600::/16"], Tier::Production),
            [s("allowlist-too-broad", Warn)]
        );
        assert_eq!(
            lint(&["10.0.0.0/24"], Tier::Production),
            [s("allowlist-private-range", Warn)]
        );
        assert_eq!(
            lint(&["fd00::/64"], Tier::Production),
            [s("allowlist-private-range", Warn)]
        );
        assert_eq!(
            lint(&["100.64.1.0/24"], Tier::Production),
            [s("allowlist-private-range", Warn)]
        );
        assert_eq!(
            lint(&["203.0.113.5/24"], Tier::Production),
            [s("allowlist-host-bits", Warn)]
        );
        assert_eq!(
            lint(&["203.0.113.0/24", "203.0.113.0/28"], Tier::Production),
            [s("allowlist-overlap", Info)]
        );
        assert_eq!(
            lint(&["203.0.113.0/28", "203.0.113.0/28"], Tier::Production),
            [s("allowlist-overlap", Info)]
        );
        assert!(lint(&["203.0.113.0/28", "203.0.113.16/28"], Tier::Production).is_empty());
    }

    #[test]
    fn echo_answers() {
        assert_eq!(
            parse_echo(b"203.0.113.7\n").unwrap(),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_echo(br#"{"ip":"2001:db8::7","country":"NL"}"#).unwrap(),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        assert!(parse_echo(b"<html>hello</html>").is_err());
        assert!(parse_echo(br#"{"ip":"nope"}"#).is_err());
    }
}

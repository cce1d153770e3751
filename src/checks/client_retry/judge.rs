//! The client_retry judge: a pure function of a phase's plan and the proxy's
//! timeline of that phase (no processes, no I/O), which finds the retries in the
//! timeline and turns what the client did wrong into findings. See the module
//! docs of [`super`] for the rules it applies.

use super::{BACKOFF_FLOOR_MS, RETRY_AFTER_TOLERANCE_MS};
use crate::codes::{self, Code};
use crate::finding::{Finding, Level};
use crate::proxy::{Exchange, PhasePlan, RequestClass, Timeline};

/// What an incident needs to become a finding.
struct Incidents {
    code: &'static Code,
    level: Option<Level>,
    remediation: Option<&'static str>,
    items: Vec<String>,
}

/// Judges one phase's timeline against the checklist. `ended_by_itself` is false
/// when golive stopped the command (time budget, `stop_after`): then nobody "gave
/// up", and that is not judged. Pure, so it is table-tested.
pub fn judge(phase: &PhasePlan, timeline: &Timeline, ended_by_itself: bool) -> Vec<Finding> {
    let entries = &timeline.entries;
    let mut not_honoured = incidents(&super::RETRY_AFTER_NOT_HONOURED);
    let mut aggressive = incidents(&super::BACKOFF_TOO_AGGRESSIVE);
    let mut non_retryable = incidents(&super::RETRIED_NON_RETRYABLE);
    let mut no_429 = incidents(&codes::NO_RETRY_ON_429);
    no_429.remediation = Some(
        "Retry a 429 after waiting Retry-After seconds (fall back to the number in the error message), with a bounded number of attempts; count it as a failure only after 3-5 consecutive 429s.",
    );
    let mut no_5xx = incidents(&codes::NO_RETRY_ON_5XX);
    no_5xx.level = Some(Level::Fail);
    no_5xx.remediation = Some(
        "Retry 5xx answers and network errors with exponential backoff (about 200ms doubling to a 10s cap) and a bounded number of attempts; retry an order with the same client_reference.",
    );
    let mut unbounded = incidents(&codes::ATTEMPTS_UNBOUNDED);
    unbounded.level = Some(Level::Fail);
    unbounded.remediation = Some(
        "Bound the attempts (5 is typical), then fail the operation visibly and alert: during an outage, retrying without a bound multiplies your traffic exactly when the API can least take it.",
    );
    let mut changed = incidents(&super::CLIENT_REFERENCE_CHANGED);
    let mut missing = incidents(&super::CLIENT_REFERENCE_MISSING);
    let mut no_request_id = incidents(&super::REQUEST_ID_MISSING);

    for chain in chains(entries) {
        for pair in chain.windows(2) {
            let (a, b) = (&entries[pair[0]], &entries[pair[1]]);
            let Some(status) = a.status else { continue };
            let gap = a
                .responded_ms
                .map(|r| i128::from(b.arrived_ms) - i128::from(r));
            match status {
                401 => {}
                429 | 500..=599 => match (a.retry_after, gap) {
                    (Some(ra), Some(gap))
                        if gap
                            < i128::from((ra * 1000).saturating_sub(RETRY_AFTER_TOLERANCE_MS)) =>
                    {
                        not_honoured.items.push(format!(
                            "{} #{} came {} after the {status} of #{}, which said Retry-After: {ra} (at least {}ms expected)",
                            what(b),
                            b.seq,
                            millis(gap),
                            a.seq,
                            (ra * 1000).saturating_sub(RETRY_AFTER_TOLERANCE_MS)
                        ));
                    }
                    (None, Some(gap)) if gap < i128::from(BACKOFF_FLOOR_MS) => {
                        aggressive.items.push(format!(
                            "{} #{} retried the {status} of #{} after {} (the floor is {BACKOFF_FLOOR_MS}ms)",
                            what(b),
                            b.seq,
                            a.seq,
                            millis(gap)
                        ));
                    }
                    _ => {}
                },
                400..=499 => non_retryable.items.push(format!(
                    "{} #{} retried the {status} of #{}, which fails the same way every time",
                    what(b),
                    b.seq,
                    a.seq
                )),
                _ => {}
            }
        }

        let last = &entries[*chain.last().expect("chains are never empty")];
        let earlier = &chain[..chain.len() - 1];
        if ended_by_itself && let Some(status) = last.status {
            let retried = |pred: &dyn Fn(u16) -> bool| {
                earlier.iter().any(|&i| entries[i].status.is_some_and(pred))
            };
            if status == 429 && !retried(&|s| s == 429) {
                no_429.items.push(format!(
                    "the client gave up on {} after the 429 of #{}{} without retrying",
                    what(last),
                    last.seq,
                    last.retry_after
                        .map(|s| format!(" (Retry-After: {s})"))
                        .unwrap_or_default()
                ));
            } else if (500..=599).contains(&status) && !retried(&|s| (500..=599).contains(&s)) {
                no_5xx.items.push(format!(
                    "the client gave up on {} after the {status} of #{} without retrying",
                    what(last),
                    last.seq
                ));
            }
        }

        let first = &entries[chain[0]];
        if first.class == RequestClass::OrderCreate {
            if let Some(bound) = phase.stop_after
                && chain.len() > bound as usize
            {
                unbounded.items.push(format!(
                    "{} attempts at one order (#{} to #{}), more than {bound}{}",
                    chain.len(),
                    first.seq,
                    last.seq,
                    if ended_by_itself {
                        ""
                    } else {
                        "; golive stopped the command"
                    }
                ));
            }
            let mut refs: Vec<(&str, usize)> = Vec::new();
            for &i in &chain {
                if let Some(r) = entries[i].client_reference.as_deref()
                    && !refs.iter().any(|(seen, _)| *seen == r)
                {
                    refs.push((r, entries[i].seq));
                }
            }
            if refs.len() > 1 {
                changed.items.push(format!(
                    "the attempts at one order used {} client_references: {}",
                    refs.len(),
                    refs.iter()
                        .take(4)
                        .map(|(r, seq)| format!("`{r}` (#{seq})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }

    let without_ref: Vec<&Exchange> = entries
        .iter()
        .filter(|e| e.class == RequestClass::OrderCreate && e.client_reference.is_none())
        .collect();
    if !without_ref.is_empty() {
        missing.items.push(format!(
            "{} order POST(s) had no client_reference: {}",
            without_ref.len(),
            seqs(&without_ref)
        ));
    }
    let without_id: Vec<&Exchange> = entries
        .iter()
        .filter(|e| {
            let p = e.path.as_str();
            (p.starts_with("/auth") || p.starts_with("/api/v1")) && e.request_id.is_none()
        })
        .collect();
    if !without_id.is_empty() {
        no_request_id.items.push(format!(
            "{} of {} requests had no X-Request-Id, e.g. #{} {}",
            without_id.len(),
            entries.len(),
            without_id[0].seq,
            what(without_id[0])
        ));
    }

    [
        not_honoured,
        no_429,
        no_5xx,
        non_retryable,
        unbounded,
        changed,
        missing,
        aggressive,
        no_request_id,
    ]
    .into_iter()
    .filter(|i| !i.items.is_empty())
    .map(|i| {
        let more = match i.items.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let mut f = Finding::new(
            i.code,
            format!("phase {}: {}{more}", phase.name, i.items[0]),
        );
        if let Some(level) = i.level {
            f = f.with_level(level);
        }
        if let Some(r) = i.remediation {
            f = f.with_remediation(r);
        }
        f
    })
    .collect()
}

fn incidents(code: &'static Code) -> Incidents {
    Incidents {
        code,
        level: None,
        remediation: None,
        items: Vec::new(),
    }
}

/// `POST /api/v1/orders` (no query).
fn what(e: &Exchange) -> String {
    format!("{} {}", e.method, e.path.split('?').next().unwrap_or(""))
}

fn millis(ms: i128) -> String {
    if ms < 0 {
        format!("{}ms before the answer was complete", -ms)
    } else {
        format!("{ms}ms")
    }
}

fn seqs(entries: &[&Exchange]) -> String {
    let mut s: Vec<String> = entries
        .iter()
        .take(6)
        .map(|e| format!("#{}", e.seq))
        .collect();
    if entries.len() > 6 {
        s.push("...".into());
    }
    s.join(", ")
}

/// Attempt sequences, as indices into `entries`: order creations split after each
/// success; any other failed request followed by the next request with the same
/// method and path when only logins or refreshes came between them.
fn chains(entries: &[Exchange]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.class != RequestClass::OrderCreate {
            continue;
        }
        current.push(i);
        if !e.failed() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    let same = |a: &Exchange, b: &Exchange| a.method == b.method && a.path == b.path;
    let mut claimed = vec![false; entries.len()];
    for i in 0..entries.len() {
        if entries[i].class == RequestClass::OrderCreate || claimed[i] {
            continue;
        }
        claimed[i] = true;
        let mut chain = vec![i];
        let mut last = i;
        while entries[last].failed() {
            let next = (last + 1..entries.len())
                .find(|&j| same(&entries[j], &entries[last]) || !entries[j].class.is_auth());
            match next {
                Some(j) if same(&entries[j], &entries[last]) && !claimed[j] => {
                    claimed[j] = true;
                    chain.push(j);
                    last = j;
                }
                _ => break,
            }
        }
        out.push(chain);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::Plan;

    /// A timeline entry: (class, method, path, arrived, responded, status, retry_after, reference, request id).
    #[allow(clippy::too_many_arguments)]
    fn x(
        seq: usize,
        class: RequestClass,
        path: &str,
        arrived: u64,
        responded: u64,
        status: u16,
        retry_after: Option<u64>,
        reference: Option<&str>,
    ) -> Exchange {
        let method = match class {
            RequestClass::Wallets | RequestClass::Get => "GET",
            _ => "POST",
        };
        Exchange {
            seq,
            class,
            method: method.into(),
            path: path.into(),
            arrived_ms: arrived,
            responded_ms: Some(responded),
            status: Some(status),
            injected: status >= 400,
            retry_after,
            client_reference: reference.map(str::to_string),
            request_id: Some(format!("id{seq}")),
            note: None,
        }
    }

    fn login(seq: usize, at: u64) -> Exchange {
        x(
            seq,
            RequestClass::Login,
            "/auth/login",
            at,
            at + 2,
            200,
            None,
            None,
        )
    }

    fn wallets(seq: usize, at: u64, status: u16) -> Exchange {
        x(
            seq,
            RequestClass::Wallets,
            "/api/v1/wallets",
            at,
            at + 2,
            status,
            None,
            None,
        )
    }

    fn order(seq: usize, at: u64, status: u16, ra: Option<u64>, r: Option<&str>) -> Exchange {
        x(
            seq,
            RequestClass::OrderCreate,
            "/api/v1/orders",
            at,
            at + 2,
            status,
            ra,
            r,
        )
    }

    fn timeline(phase: &str, entries: Vec<Exchange>) -> Timeline {
        Timeline {
            phase: phase.into(),
            entries,
        }
    }

    fn codes_of(findings: &[Finding]) -> Vec<(&str, Level)> {
        findings
            .iter()
            .map(|f| (f.code.as_str(), f.level))
            .collect()
    }

    /// Moves an entry in time (its answer takes 2ms).
    fn at(e: &mut Exchange, ms: u64) {
        e.arrived_ms = ms;
        e.responded_ms = Some(ms + 2);
    }

    fn faults() -> PhasePlan {
        Plan::default_plan().phases[0].clone()
    }

    fn outage() -> PhasePlan {
        Plan::default_plan().phases[1].clone()
    }

    /// The good client's faults phase: 429 then 2.5s, 503 then 200ms, success.
    fn good_faults() -> Vec<Exchange> {
        vec![
            login(1, 0),
            wallets(2, 10, 400),
            order(3, 20, 429, Some(2), Some("r1")),
            order(4, 2522, 503, None, Some("r1")),
            order(5, 2724, 201, None, Some("r1")),
            x(
                6,
                RequestClass::Get,
                "/api/v1/orders/1",
                2800,
                2802,
                200,
                None,
                None,
            ),
        ]
    }

    #[test]
    fn a_good_client_has_nothing_to_answer_for() {
        assert!(judge(&faults(), &timeline("faults", good_faults()), true).is_empty());
        // The outage: five attempts with 200ms doubling backoff, then it gives up.
        let mut t = vec![login(1, 0), wallets(2, 5, 200)];
        let mut at = 10;
        for (k, wait) in [200, 400, 800, 1600, 0].iter().enumerate() {
            t.push(order(3 + k, at, 503, None, Some("r2")));
            at += 2 + wait;
        }
        assert!(judge(&outage(), &timeline("outage", t), true).is_empty());
    }

    #[test]
    fn each_mistake_has_its_code() {
        let f = faults();
        let case = |entries: Vec<Exchange>| {
            codes_of(&judge(&f, &timeline("faults", entries), true))
                .into_iter()
                .map(|(c, l)| (c.to_string(), l))
                .collect::<Vec<_>>()
        };
        let own = |c: &str, l: Level| vec![(c.to_string(), l)];

        // Retry 200ms after Retry-After: 2.
        let mut t = good_faults();
        at(&mut t[3], 222);
        at(&mut t[4], 430);
        assert_eq!(case(t), own("retry-after-not-honoured", Level::Fail));
        // 1.95s is inside the 100ms tolerance.
        let mut t = good_faults();
        at(&mut t[3], 22 + 1950);
        at(&mut t[4], 2300);
        assert!(case(t).is_empty());

        // Gave up on the 429.
        let t = vec![
            login(1, 0),
            wallets(2, 10, 400),
            order(3, 20, 429, Some(2), Some("r")),
        ];
        assert_eq!(case(t), own("no-retry-on-429", Level::Fail));
        // Gave up on the 503.
        let mut t = good_faults();
        t.truncate(4);
        assert_eq!(case(t), own("no-retry-on-5xx", Level::Fail));

        // Retried the wallets 400 (logins between do not hide it).
        let mut t = good_faults();
        t.insert(2, login(90, 210));
        t.insert(3, wallets(91, 400, 200));
        assert_eq!(case(t), own("retried-non-retryable", Level::Fail));
        // A GET to another path is no retry.
        let mut t = good_faults();
        t.insert(
            2,
            x(
                90,
                RequestClass::Get,
                "/api/v1/currencies",
                12,
                14,
                200,
                None,
                None,
            ),
        );
        t.insert(3, wallets(91, 400, 200));
        assert!(case(t).is_empty());

        // No backoff after the 503.
        let mut t = good_faults();
        at(&mut t[4], 2525);
        assert_eq!(case(t), own("backoff-too-aggressive", Level::Warn));

        // A new reference per attempt.
        let mut t = good_faults();
        t[3].client_reference = Some("r2".into());
        t[4].client_reference = Some("r3".into());
        let c = case(t);
        assert_eq!(c, own("client-reference-changed", Level::Fail));

        // No reference at all.
        let mut t = good_faults();
        for e in &mut t[2..5] {
            e.client_reference = None;
        }
        assert_eq!(case(t), own("client-reference-missing", Level::Fail));

        // No request id.
        let mut t = good_faults();
        for e in &mut t {
            e.request_id = None;
        }
        assert_eq!(case(t), own("request-id-missing", Level::Warn));
    }

    #[test]
    fn a_retry_after_a_401_is_allowed() {
        let t = vec![
            login(1, 0),
            wallets(2, 10, 401),
            login(3, 12),
            wallets(4, 16, 200),
            order(5, 20, 401, None, Some("r")),
            login(6, 23),
            order(7, 26, 201, None, Some("r")),
        ];
        assert!(judge(&faults(), &timeline("faults", t), true).is_empty());
    }

    #[test]
    fn a_new_order_after_a_success_is_a_new_sequence() {
        let t = vec![
            login(1, 0),
            order(2, 10, 201, None, Some("a")),
            order(3, 20, 201, None, Some("b")),
        ];
        assert!(judge(&faults(), &timeline("faults", t), true).is_empty());
    }

    #[test]
    fn the_outage_bound() {
        let mut t = vec![login(1, 0)];
        for k in 0..11 {
            t.push(order(2 + k, 10 + 160 * k as u64, 503, None, Some("r")));
        }
        let f = judge(&outage(), &timeline("outage", t.clone()), false);
        assert_eq!(codes_of(&f), [("attempts-unbounded", Level::Fail)]);
        assert!(
            f[0].message.contains(
                "11 attempts at one order (#2 to #12), more than 10; golive stopped the command"
            ),
            "{}",
            f[0].message
        );
        // Ten attempts are within the bound.
        t.pop();
        assert!(judge(&outage(), &timeline("outage", t), true).is_empty());
        // A client stopped by golive did not give up.
        let t = vec![login(1, 0), order(2, 10, 503, None, Some("r"))];
        assert!(judge(&outage(), &timeline("outage", t.clone()), false).is_empty());
        assert_eq!(
            codes_of(&judge(&outage(), &timeline("outage", t), true)),
            [("no-retry-on-5xx", Level::Fail)]
        );
    }

    #[test]
    fn a_retry_before_the_answer_ended_counts_as_too_soon() {
        let t = vec![
            order(1, 0, 503, None, Some("r")),
            order(2, 1, 201, None, Some("r")),
        ];
        let f = judge(&faults(), &timeline("faults", t), true);
        assert_eq!(codes_of(&f), [("backoff-too-aggressive", Level::Warn)]);
        assert!(
            f[0].message.contains("1ms before the answer was complete"),
            "{}",
            f[0].message
        );
    }
}

//! Fault plans: which requests the proxy answers itself, and how, phase by phase.
//!
//! A plan is data: a list of phases, each with per-request-class fault sequences
//! and a few switches. Built-in plans are named ([`BUILTIN_PLANS`]); any other plan
//! is a small TOML file (the format is documented in the module docs of
//! [`crate::proxy`] and in the README).

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The names of the built-in plans, for messages and `--plan`.
pub const BUILTIN_PLANS: &[&str] = &["default", "passthrough"];

/// How often a client may retry one order in an outage before golive stops it.
pub const DEFAULT_STOP_AFTER: u32 = 10;

/// What kind of API call a request is. Fault counters run per class, never per
/// `client_reference`, so a client cannot dodge a fault by changing its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestClass {
    /// `POST /auth/login`.
    Login,
    /// `POST /auth/refresh`.
    Refresh,
    /// `POST /auth/logout`.
    Logout,
    /// `GET /api/v1/wallets`.
    Wallets,
    /// Any other `GET`.
    Get,
    /// `POST /api/v1/orders` (and the topup and eSIM order endpoints).
    OrderCreate,
    /// `POST /api/v1/.../charges` (quotes).
    Charges,
    /// Anything else.
    Other,
}

impl RequestClass {
    /// Every class, in documentation order.
    pub const ALL: [RequestClass; 8] = [
        RequestClass::Login,
        RequestClass::Refresh,
        RequestClass::Logout,
        RequestClass::Wallets,
        RequestClass::Get,
        RequestClass::OrderCreate,
        RequestClass::Charges,
        RequestClass::Other,
    ];

    /// The class of a request, from its method and path (a query is ignored).
    pub fn of(method: &str, path: &str) -> RequestClass {
        let path = path.split('?').next().unwrap_or("");
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        match (method.to_ascii_uppercase().as_str(), path) {
            ("POST", "/auth/login") => RequestClass::Login,
            ("POST", "/auth/refresh") => RequestClass::Refresh,
            ("POST", "/auth/logout") => RequestClass::Logout,
            ("GET", "/api/v1/wallets") => RequestClass::Wallets,
            ("POST", "/api/v1/orders" | "/api/v1/topups/orders" | "/api/v1/esim/orders") => {
                RequestClass::OrderCreate
            }
            ("POST", p) if p.starts_with("/api/v1/") && p.ends_with("/charges") => {
                RequestClass::Charges
            }
            ("GET", _) => RequestClass::Get,
            _ => RequestClass::Other,
        }
    }

    /// The plan spelling, e.g. `order_create`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestClass::Login => "login",
            RequestClass::Refresh => "refresh",
            RequestClass::Logout => "logout",
            RequestClass::Wallets => "wallets",
            RequestClass::Get => "get",
            RequestClass::OrderCreate => "order_create",
            RequestClass::Charges => "charges",
            RequestClass::Other => "other",
        }
    }

    /// Whether the request authenticates (login or token refresh).
    pub fn is_auth(self) -> bool {
        matches!(self, RequestClass::Login | RequestClass::Refresh)
    }
}

impl fmt::Display for RequestClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which requests of a class a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Nth {
    /// The n-th request of the class in the phase (1-based).
    Only(u32),
    /// Every request of the class.
    #[serde(serialize_with = "serialize_all")]
    All,
}

fn serialize_all<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("all")
}

impl Nth {
    fn matches(self, n: u32) -> bool {
        match self {
            Nth::Only(k) => k == n,
            Nth::All => true,
        }
    }
}

/// One injected answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// The request class it applies to.
    pub class: RequestClass,
    /// Which request of the class.
    pub nth: Nth,
    /// The status the proxy answers with (400-599).
    pub status: u16,
    /// `Retry-After` seconds sent with the answer.
    pub retry_after: Option<u64>,
}

/// One phase: a separate run of the command under one set of faults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhasePlan {
    /// Name, e.g. `faults`; unique within the plan.
    pub name: String,
    /// Injected answers; the first matching fault wins.
    pub faults: Vec<Fault>,
    /// Every passed-through success body gains an unknown field.
    pub unknown_fields: bool,
    /// One wallets response and one order response get an enum value the client
    /// has never seen (wallet `type`, order `status`).
    pub replace_enums: bool,
    /// More order POSTs than this stop the command (an unbounded client).
    pub stop_after: Option<u32>,
    /// The command must exit 0 in this phase (false where giving up is correct).
    pub must_succeed: bool,
}

impl PhasePlan {
    /// A phase that injects nothing and passes every answer through unchanged.
    pub fn passthrough(name: &str) -> PhasePlan {
        PhasePlan {
            name: name.to_string(),
            faults: Vec::new(),
            unknown_fields: false,
            replace_enums: false,
            stop_after: None,
            must_succeed: true,
        }
    }

    /// The fault for the `n`-th request (1-based) of `class`, if any.
    pub fn fault_for(&self, class: RequestClass, n: u32) -> Option<&Fault> {
        self.faults
            .iter()
            .find(|f| f.class == class && f.nth.matches(n))
    }

    /// Whether the phase changes success bodies (unknown fields or enum values).
    pub fn rewrites_bodies(&self) -> bool {
        self.unknown_fields || self.replace_enums
    }

    /// The same phase under another name, with bodies passed through unchanged: the
    /// control run that tells whether unknown fields made the command fail.
    pub fn without_unknown_fields(&self, name: &str) -> PhasePlan {
        PhasePlan {
            name: name.to_string(),
            unknown_fields: false,
            replace_enums: false,
            ..self.clone()
        }
    }
}

/// A fault plan: its phases, run in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// A built-in name, or the file it was read from.
    pub name: String,
    /// At least one phase.
    pub phases: Vec<PhasePlan>,
}

impl Plan {
    /// The built-in `default` plan of the go-live checklist:
    ///
    /// - phase `faults`: the first order POST is answered 429 with `Retry-After: 2`,
    ///   the second 503, the third passes through; the first wallets GET is answered
    ///   400; every passed-through success body gains an unknown field, and one
    ///   wallets and one order response carry an enum value never seen before.
    /// - phase `outage`: every order POST is answered 503; the command is stopped
    ///   at the 11th attempt. Giving up (a non-zero exit) is correct here.
    pub fn default_plan() -> Plan {
        let fault = |class, nth, status, retry_after| Fault {
            class,
            nth,
            status,
            retry_after,
        };
        Plan {
            name: "default".into(),
            phases: vec![
                PhasePlan {
                    name: "faults".into(),
                    faults: vec![
                        fault(RequestClass::OrderCreate, Nth::Only(1), 429, Some(2)),
                        fault(RequestClass::OrderCreate, Nth::Only(2), 503, None),
                        fault(RequestClass::Wallets, Nth::Only(1), 400, None),
                    ],
                    unknown_fields: true,
                    replace_enums: true,
                    stop_after: None,
                    must_succeed: true,
                },
                PhasePlan {
                    name: "outage".into(),
                    faults: vec![fault(RequestClass::OrderCreate, Nth::All, 503, None)],
                    unknown_fields: false,
                    replace_enums: false,
                    stop_after: Some(DEFAULT_STOP_AFTER),
                    must_succeed: false,
                },
            ],
        }
    }

    /// The built-in plan of that name.
    pub fn builtin(name: &str) -> Option<Plan> {
        match name {
            "default" => Some(Plan::default_plan()),
            "passthrough" => Some(Plan {
                name: "passthrough".into(),
                phases: vec![PhasePlan::passthrough("record")],
            }),
            _ => None,
        }
    }

    /// The phase of that name.
    pub fn phase(&self, name: &str) -> Option<&PhasePlan> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// The phase names, comma-separated, for messages.
    pub fn phase_names(&self) -> String {
        self.phases
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a plan could not be loaded. Every message is one line; a plan file names
/// itself first (`FILE:LINE:COLUMN: message` when it does not parse).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Neither a built-in plan nor something that looks like a plan file.
    #[error(
        "unknown plan `{name}`: the built-in plans are {}; anything else must be the path of a TOML plan file{}",
        BUILTIN_PLANS.join(", "),
        if *.in_manifest_folder { ", relative to the manifest's folder" } else { "" }
    )]
    Unknown {
        /// The name as given.
        name: String,
        /// Whether a path would have been taken relative to the manifest's folder.
        in_manifest_folder: bool,
    },
    /// The plan file could not be read.
    #[error("cannot read plan file {path}: {error}")]
    Read {
        /// The file, as named in the message.
        path: String,
        /// What reading it said.
        error: std::io::Error,
    },
    /// The plan file is not valid TOML, or not a plan; at a known place.
    #[error("{origin}:{line}:{column}: {message}")]
    SyntaxAt {
        /// The file.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What the TOML reader said.
        message: String,
    },
    /// The plan file is not valid TOML, or not a plan; at no known place.
    #[error("{origin}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// What the TOML reader said.
        message: String,
    },
    /// The plan has no phase.
    #[error("{origin}: a plan needs at least one [[phase]] table")]
    NoPhase {
        /// The file.
        origin: String,
    },
    /// A phase has an empty name.
    #[error("{origin}: a [[phase]] has an empty `name`")]
    EmptyPhaseName {
        /// The file.
        origin: String,
    },
    /// Two phases have the same name.
    #[error("{origin}: phase name `{name}` is used twice")]
    DuplicatePhase {
        /// The file.
        origin: String,
        /// The name used twice.
        name: String,
    },
}

/// A built-in plan by name, or a TOML plan file by path. Errors are one line,
/// `FILE:LINE:COLUMN: message` when the file does not parse.
pub fn load_plan(name_or_file: &str) -> Result<Plan, PlanError> {
    if let Some(plan) = Plan::builtin(name_or_file) {
        return Ok(plan);
    }
    let path = Path::new(name_or_file);
    let looks_like_path = name_or_file.contains(['/', '\\']) || name_or_file.ends_with(".toml");
    if !path.exists() && !looks_like_path {
        return Err(PlanError::Unknown {
            name: name_or_file.to_string(),
            in_manifest_folder: false,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|error| PlanError::Read {
        path: name_or_file.to_string(),
        error,
    })?;
    parse_plan(&text, name_or_file)
}

/// The plan a `client_retry` check names: a built-in name, or the path of a TOML
/// plan file relative to `dir` (the manifest's folder). The manifest loader uses
/// it to refuse a bad plan before anything runs, and the check to load it.
pub fn load_plan_in(plan: &str, dir: &Path) -> Result<Plan, PlanError> {
    if let Some(builtin) = Plan::builtin(plan) {
        return Ok(builtin);
    }
    let path = dir.join(plan);
    let looks_like_path = plan.contains(['/', '\\']) || plan.ends_with(".toml");
    if !looks_like_path && !path.exists() {
        return Err(PlanError::Unknown {
            name: plan.to_string(),
            in_manifest_folder: true,
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|error| PlanError::Read {
        path: path.display().to_string(),
        error,
    })?;
    parse_plan(&text, &path.display().to_string())
}

/// Parses a TOML plan; `origin` names it in errors and becomes the plan's name.
pub fn parse_plan(text: &str, origin: &str) -> Result<Plan, PlanError> {
    let raw: RawPlan = toml::from_str(text).map_err(|e| {
        let (origin, message) = (origin.to_string(), e.message().trim().to_string());
        match e.span() {
            Some(span) => {
                let (line, column) = line_col(text, span.start);
                PlanError::SyntaxAt {
                    origin,
                    line,
                    column,
                    message,
                }
            }
            None => PlanError::Syntax { origin, message },
        }
    })?;
    if raw.phase.is_empty() {
        return Err(PlanError::NoPhase {
            origin: origin.to_string(),
        });
    }
    let mut phases: Vec<PhasePlan> = Vec::new();
    for p in raw.phase {
        if p.name.trim().is_empty() {
            return Err(PlanError::EmptyPhaseName {
                origin: origin.to_string(),
            });
        }
        if phases.iter().any(|q| q.name == p.name) {
            return Err(PlanError::DuplicatePhase {
                origin: origin.to_string(),
                name: p.name,
            });
        }
        let faults = p
            .fault
            .into_iter()
            .map(|f| Fault {
                class: f.class,
                nth: f.nth.0,
                status: f.status.0,
                retry_after: f.retry_after.map(|s| s.0),
            })
            .collect();
        phases.push(PhasePlan {
            must_succeed: p.must_succeed.unwrap_or(p.stop_after.is_none()),
            name: p.name,
            faults,
            unknown_fields: p.unknown_fields,
            replace_enums: p.replace_enums,
            stop_after: p.stop_after.map(|s| s.0),
        });
    }
    Ok(Plan {
        name: raw.name.unwrap_or_else(|| origin.to_string()),
        phases,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: Option<String>,
    #[serde(default)]
    phase: Vec<RawPhase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    name: String,
    #[serde(default)]
    unknown_fields: bool,
    #[serde(default)]
    replace_enums: bool,
    stop_after: Option<Positive>,
    must_succeed: Option<bool>,
    #[serde(default)]
    fault: Vec<RawFault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    class: RequestClass,
    nth: RawNth,
    status: ErrorStatus,
    retry_after: Option<RetryAfterSecs>,
}

/// A whole number of at least 1.
struct Positive(u32);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        u32::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Positive)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expected a whole number of at least 1, found {n}"
                ))
            })
    }
}

/// `nth = 3` or `nth = "all"`.
struct RawNth(Nth);

impl<'de> Deserialize<'de> for RawNth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(i64),
            Word(String),
        }
        match Either::deserialize(d) {
            Ok(Either::Number(n)) => u32::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .map(|n| RawNth(Nth::Only(n)))
                .ok_or_else(|| {
                    serde::de::Error::custom(format!("`nth` counts requests from 1, found {n}"))
                }),
            Ok(Either::Word(w)) if w == "all" => Ok(RawNth(Nth::All)),
            Ok(Either::Word(w)) => Err(serde::de::Error::custom(format!(
                "`nth` must be a request number (1, 2, ...) or \"all\", found \"{w}\""
            ))),
            Err(_) => Err(serde::de::Error::custom(
                "`nth` must be a request number (1, 2, ...) or \"all\"",
            )),
        }
    }
}

/// `retry_after` seconds: 0 up to a day ([`crate::octopus::MAX_RETRY_AFTER`]), so
/// that no timing computed from it can wrap around (SPEC 8.5).
struct RetryAfterSecs(u64);

impl<'de> Deserialize<'de> for RetryAfterSecs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let max = crate::octopus::MAX_RETRY_AFTER.as_secs();
        let n = i64::deserialize(d)?;
        u64::try_from(n)
            .ok()
            .filter(|s| *s <= max)
            .map(RetryAfterSecs)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`retry_after` must be a whole number of seconds from 0 to {max} (one day), found {n}"
                ))
            })
    }
}

/// An HTTP error status, 400-599.
struct ErrorStatus(u16);

impl<'de> Deserialize<'de> for ErrorStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        u16::try_from(n)
            .ok()
            .filter(|s| (400..=599).contains(s))
            .map(ErrorStatus)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`status` must be an HTTP error status (400-599), found {n}"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_requests() {
        for (method, path, want) in [
            ("POST", "/auth/login", RequestClass::Login),
            ("POST", "/auth/refresh", RequestClass::Refresh),
            ("POST", "/auth/logout", RequestClass::Logout),
            ("GET", "/api/v1/wallets", RequestClass::Wallets),
            ("GET", "/api/v1/wallets/", RequestClass::Wallets),
            ("GET", "/api/v1/wallets?x=1", RequestClass::Wallets),
            ("GET", "/api/v1/currencies", RequestClass::Get),
            (
                "GET",
                "/api/v1/orders?client_reference=a",
                RequestClass::Get,
            ),
            ("POST", "/api/v1/orders", RequestClass::OrderCreate),
            ("post", "/api/v1/esim/orders", RequestClass::OrderCreate),
            (
                "POST",
                "/api/v1/products/123/charges",
                RequestClass::Charges,
            ),
            ("POST", "/api/v1/topups/charges", RequestClass::Charges),
            ("DELETE", "/api/v1/orders/1", RequestClass::Other),
        ] {
            assert_eq!(RequestClass::of(method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn the_default_plan_is_the_checklist() {
        let plan = Plan::default_plan();
        let faults = plan.phase("faults").unwrap();
        assert_eq!(
            faults
                .fault_for(RequestClass::OrderCreate, 1)
                .map(|f| (f.status, f.retry_after)),
            Some((429, Some(2)))
        );
        assert_eq!(
            faults
                .fault_for(RequestClass::OrderCreate, 2)
                .map(|f| f.status),
            Some(503)
        );
        assert!(faults.fault_for(RequestClass::OrderCreate, 3).is_none());
        assert_eq!(
            faults.fault_for(RequestClass::Wallets, 1).map(|f| f.status),
            Some(400)
        );
        assert!(faults.fault_for(RequestClass::Wallets, 2).is_none());
        assert!(faults.unknown_fields && faults.replace_enums && faults.must_succeed);
        let outage = plan.phase("outage").unwrap();
        assert_eq!(
            outage
                .fault_for(RequestClass::OrderCreate, 37)
                .map(|f| f.status),
            Some(503)
        );
        assert_eq!(outage.stop_after, Some(10));
        assert!(!outage.must_succeed);
        let control = faults.without_unknown_fields("faults-rerun");
        assert!(!control.rewrites_bodies());
        assert_eq!(control.faults, faults.faults);
    }

    #[test]
    fn a_toml_plan_parses_with_defaults() {
        let plan = parse_plan(
            r#"
name = "mine"
[[phase]]
name = "faults"
unknown_fields = true
[[phase.fault]]
class = "order_create"
nth = 1
status = 429
retry_after = 3
[[phase.fault]]
class = "login"
nth = "all"
status = 502

[[phase]]
name = "outage"
stop_after = 4
[[phase.fault]]
class = "order_create"
nth = "all"
status = 500
"#,
            "plan.toml",
        )
        .unwrap();
        assert_eq!(plan.name, "mine");
        assert_eq!(plan.phase_names(), "faults, outage");
        let f = &plan.phases[0];
        assert!(f.unknown_fields && !f.replace_enums && f.must_succeed);
        assert_eq!(f.fault_for(RequestClass::Login, 9).unwrap().status, 502);
        let o = &plan.phases[1];
        assert_eq!(o.stop_after, Some(4));
        assert!(
            !o.must_succeed,
            "a phase with stop_after may fail by default"
        );
    }

    #[test]
    fn toml_errors_have_a_position() {
        let cases = [
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"orders\"\nnth = 1\nstatus = 503\n",
                "plan.toml:4:9: ",
            ),
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"login\"\nnth = 0\nstatus = 503\n",
                "plan.toml:5:7: `nth` counts requests from 1",
            ),
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"login\"\nnth = 1\nstatus = 200\n",
                "plan.toml:6:10: `status` must be an HTTP error status",
            ),
            ("[[phase]]\nname = \"a\"\nretries = 3\n", "plan.toml:3:1: "),
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"login\"\nnth = 1\nstatus = 429\nretry_after = 9223372036854775807\n",
                "plan.toml:7:15: `retry_after` must be a whole number of seconds from 0 to 86400 (one day), found 9223372036854775807",
            ),
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"login\"\nnth = 1\nstatus = 429\nretry_after = -1\n",
                "plan.toml:7:15: `retry_after` must be a whole number of seconds",
            ),
            (
                "[[phase]]\nname = \"a\"\n[[phase.fault]]\nclass = \"login\"\nnth = 1\nstatus = 429\nretry_after = 18446744073709551615\n",
                "plan.toml:7:15: ",
            ),
            ("", "plan.toml: a plan needs at least one [[phase]]"),
            (
                "[[phase]]\nname = \"a\"\n[[phase]]\nname = \"a\"\n",
                "plan.toml: phase name `a` is used twice",
            ),
        ];
        for (text, want) in cases {
            let e = parse_plan(text, "plan.toml").unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }

    #[test]
    fn load_plan_names_and_files() {
        assert_eq!(load_plan("default").unwrap(), Plan::default_plan());
        assert_eq!(load_plan("passthrough").unwrap().phases.len(), 1);
        let e = load_plan("chaos").unwrap_err().to_string();
        assert!(
            e.contains("unknown plan `chaos`") && e.contains("default, passthrough"),
            "{e}"
        );
        let e = load_plan("/nonexistent/plan.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("cannot read plan file /nonexistent/plan.toml"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "[[phase]]\nname = \"only\"\n").unwrap();
        let plan = load_plan(path.to_str().unwrap()).unwrap();
        assert_eq!(plan.phases, vec![PhasePlan::passthrough("only")]);
    }
}

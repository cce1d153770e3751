//! What every command shares: the failure that ends a command before (or instead
//! of) a report, with its exit code; loading the manifest and picking an env with
//! messages that say what is wrong; printing to stdout. `app` dispatches the
//! commands; `run` (`golive check`) and `watch` use these too, and nothing below
//! the commands imports this module.

use std::io::Write;
use std::path::Path;

use crate::checks::{self, Manifest};
use crate::cli::ManifestArgs;
use crate::exit::Exit;
use crate::manifest;
use crate::sim::Scenario;

/// A run that ends before (or instead of) a report.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
    /// Already formatted diagnostics (manifest errors): printed as they are.
    pub(crate) preformatted: bool,
}

impl Failure {
    /// What went wrong, for a line of its own.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure {
        exit: Exit::Usage,
        message: message.into(),
        preformatted: false,
    }
}

pub(crate) fn internal(message: impl Into<String>) -> Failure {
    Failure {
        exit: Exit::Internal,
        message: message.into(),
        preformatted: false,
    }
}

pub(crate) fn load(args: &ManifestArgs) -> Result<Manifest, Failure> {
    let path = &args.manifest;
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        let init = if path == Path::new("checks.toml") || path == Path::new("./checks.toml") {
            "golive init".to_string()
        } else {
            format!("golive init --path {}", path.display())
        };
        return Err(usage(format!(
            "{}: cannot read the manifest: no such file; run `{init}` to write a commented starter one{}",
            path.display(),
            if init == "golive init" {
                ", or pass -m PATH"
            } else {
                ""
            }
        )));
    }
    checks::load(path).map_err(|e| Failure {
        exit: Exit::Usage,
        message: e.render().trim_end().to_string(),
        preformatted: true,
    })
}

pub(crate) fn pick_env<'m>(
    m: &'m Manifest,
    requested: Option<&str>,
) -> Result<&'m manifest::EnvSpec, Failure> {
    let known = || {
        m.envs
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = match (requested, m.default_env.as_deref()) {
        (Some(n), _) => n,
        (None, Some(d)) => d,
        (None, None) if m.envs.len() == 1 => m.envs[0].name.as_str(),
        (None, None) => {
            return Err(usage(format!(
                "{}: no --env given and the manifest has no default_env (envs: {})",
                m.path.display(),
                known()
            )));
        }
    };
    m.env(name).ok_or_else(|| {
        usage(format!(
            "--env {name}: no env `{name}` in {}{} (envs: {})",
            m.path.display(),
            did_you_mean(name, m.envs.iter().map(|e| e.name.as_str())),
            if m.envs.is_empty() {
                "none".to_string()
            } else {
                known()
            }
        ))
    })
}

/// "; did you mean `x`?" when `word` is a near miss of one of `candidates`, as the
/// manifest says for keys; otherwise nothing.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> String {
    manifest::suggest(word, candidates)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default()
}

/// An unknown `--scenario`: its near miss, and every scenario.
pub(crate) fn unknown_scenario(name: &str) -> Failure {
    usage(format!(
        "--scenario {name}: unknown scenario{} (known: {})",
        did_you_mean(name, Scenario::ALL.iter().map(|(_, n, _)| *n)),
        Scenario::names()
    ))
}

/// Writes to stdout; a closed pipe (e.g. `| head`) is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<Exit, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(Exit::Ready),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ready),
        Err(e) => Err(internal(format!("cannot write to stdout: {e}"))),
    }
}

/// The JSON report's schema, with every check kind's evidence (`golive schema`).
pub fn report_schema() -> serde_json::Value {
    let kinds: Vec<crate::report::schema::KindEvidence> = checks::KINDS
        .iter()
        .map(|k| crate::report::schema::KindEvidence {
            kind: k.def.name,
            description: k.evidence_about,
            properties: (k.evidence)(),
        })
        .collect();
    crate::report::schema::report_schema(&kinds)
}

//! Findings: what a check observed, each under a stable kebab-case code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::Code;

/// How serious one finding is (defined with the codes, whose default level it is).
pub use crate::codes::Level;

/// One observation of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable kebab-case code; `golive explain CODE` describes it.
    pub code: String,
    /// How serious it is.
    pub level: Level,
    /// One line saying what was observed.
    pub message: String,
    /// How to fix it.
    pub remediation: String,
    /// Link to the relevant Octopus documentation, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// The probe could not complete because of this (timeout, 5xx, refused
    /// connection): the check's status becomes `error`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

impl Finding {
    /// A finding at the code's default level, with its standard remediation.
    pub fn new(code: &Code, message: impl Into<String>) -> Self {
        Finding {
            code: code.code.to_string(),
            level: code.level,
            message: crate::text::one_line(&message.into()),
            remediation: code.fix.to_string(),
            docs: code.docs.map(str::to_string),
            incomplete: false,
        }
    }

    /// A finding that means the probe could not complete.
    pub fn incomplete(code: &Code, message: impl Into<String>) -> Self {
        Finding {
            incomplete: true,
            ..Finding::new(code, message)
        }
    }

    /// Overrides the level (e.g. `info` for a simulator env).
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Replaces the standard remediation with a more specific one.
    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }
}

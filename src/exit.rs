//! Exit codes: the one place where golive's process status is defined.
//!
//! CI gates branch on these numbers, so they are a contract (SPEC section 1) and
//! are pinned by a table test below.

/// How a golive process ends. The discriminant is the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// `ready`: no blocking check failed or errored.
    Ready = 0,
    /// `not_ready`: at least one blocking check failed.
    NotReady = 1,
    /// Usage or manifest error: nothing was probed.
    Usage = 2,
    /// `inconclusive`: nothing failed, but a blocking check could not complete.
    Inconclusive = 3,
    /// Internal error, e.g. a report file could not be written.
    Internal = 4,
}

impl Exit {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn exit_codes_match_the_spec_table() {
        let table = [
            (Exit::Ready, 0),
            (Exit::NotReady, 1),
            (Exit::Usage, 2),
            (Exit::Inconclusive, 3),
            (Exit::Internal, 4),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
    }
}

//! `golive schema`: prints the JSON Schema of the report, with the evidence each
//! check kind of `checks::KINDS` writes.

use crate::checks;
use crate::exit::Exit;
use crate::report::schema::{self, KindEvidence};

use super::{Failure, print_stdout};

/// Runs `golive schema`.
pub(crate) fn schema() -> Result<Exit, Failure> {
    print_stdout(&schema::schema_text(&kinds()))
}

/// What each check kind writes in its evidence, as the report schema takes it.
fn kinds() -> Vec<KindEvidence> {
    checks::KINDS
        .iter()
        .map(|k| KindEvidence {
            kind: k.def.name,
            description: k.evidence_about,
            properties: (k.evidence)(),
        })
        .collect()
}

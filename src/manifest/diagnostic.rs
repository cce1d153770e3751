//! Manifest diagnostics: where a problem is, what it is, and how it is shown.
//!
//! Validation works on byte spans; this module turns them into the 1-based line and
//! character column a user sees, cuts out the offending source line for the snippet
//! and draws the caret under it. Secret values are blanked here, in one place, so
//! that no diagnostic can echo one whatever produced it.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How serious a manifest diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagLevel {
    /// The manifest is refused (exit 2).
    Error,
    /// A lint: the manifest loads, but something in it is probably wrong. Blocks only
    /// `golive validate --strict`.
    Warning,
}

impl DiagLevel {
    /// The word shown after `FILE:LINE:COLUMN:`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagLevel::Error => "error",
            DiagLevel::Warning => "warning",
        }
    }
}

/// Most diagnostics rendered at once; the rest are counted ("and N more").
pub const MAX_SHOWN: usize = 50;

/// One problem in a manifest, located in the source text.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The manifest path as the user gave it.
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file (e.g. unreadable).
    pub line: usize,
    /// 1-based column counted in characters; 0 together with `line == 0`.
    pub column: usize,
    /// What is wrong, and where possible how to fix it. Never holds a secret value.
    pub message: String,
    /// The offending source line, with secret values blanked.
    pub snippet: Option<String>,
    /// How many characters the caret under the snippet spans (at least 1).
    pub caret_len: usize,
    /// Error (the manifest is refused) or warning (a lint).
    pub level: DiagLevel,
    /// The finding code, for lints that share one with a runtime check.
    pub code: Option<&'static str>,
    /// How to fix it, shown on its own line under the snippet.
    pub fix: Option<String>,
}

impl Diagnostic {
    /// A problem with the file as a whole, shown without position or snippet.
    pub fn whole_file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            snippet: None,
            caret_len: 0,
            level: DiagLevel::Error,
            code: None,
            fix: None,
        }
    }

    /// Appends this diagnostic in the `FILE:LINE:COLUMN: error: message` form (or
    /// `warning:`), followed by the snippet and caret when there is one, and the fix.
    fn render_into(&self, out: &mut String) {
        let file = self.path.display();
        let level = self.level.as_str();
        let code = match self.code {
            Some(code) if !self.message.contains("(code: ") => format!(" (code: {code})"),
            _ => String::new(),
        };
        if self.line == 0 {
            let _ = writeln!(out, "{file}: {level}: {}{code}", self.message);
        } else {
            let _ = writeln!(
                out,
                "{file}:{}:{}: {level}: {}{code}",
                self.line, self.column, self.message
            );
        }
        if let Some(snippet) = &self.snippet {
            // Keep tabs as tabs so the caret lines up with the snippet in a terminal.
            let pad: String = snippet
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "  | {snippet}");
            let _ = writeln!(out, "  | {pad}{}", "^".repeat(self.caret_len.max(1)));
        }
        if let Some(fix) = &self.fix {
            let _ = writeln!(out, "  = fix: {fix}");
        }
    }
}

/// Renders at most [`MAX_SHOWN`] diagnostics, then `... and N more` for the rest.
fn render_capped(diagnostics: &[Diagnostic], out: &mut String) {
    for d in diagnostics.iter().take(MAX_SHOWN) {
        d.render_into(out);
    }
    let hidden = diagnostics.len().saturating_sub(MAX_SHOWN);
    if hidden > 0 {
        let _ = writeln!(
            out,
            "... and {hidden} more (only the first {MAX_SHOWN} are shown)"
        );
    }
}

/// `N errors and M warnings`, leaving out a zero count (but never both).
fn count_words(errors: usize, warnings: usize) -> String {
    let word = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (errors, warnings) {
        (e, 0) => word(e, "error", "errors"),
        (0, w) => word(w, "warning", "warnings"),
        (e, w) => format!(
            "{} and {}",
            word(e, "error", "errors"),
            word(w, "warning", "warnings")
        ),
    }
}

/// Renders the lints of a manifest that loaded (errors and warnings in file order,
/// capped), then a closing `N warnings in FILE` line. Empty when there are none.
pub fn render_lints(lints: &[Diagnostic]) -> String {
    if lints.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    render_capped(lints, &mut out);
    let errors = lints.iter().filter(|d| d.level == DiagLevel::Error).count();
    let file = lints[0].path.display();
    let _ = write!(
        out,
        "{} in {file}",
        count_words(errors, lints.len() - errors)
    );
    out
}

/// Every problem found in a manifest; nothing was run.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct ManifestError {
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ManifestError {
    /// Renders every diagnostic, then a closing `N errors in FILE` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        render_capped(&self.diagnostics, &mut out);
        let n = self.diagnostics.len();
        let file = self
            .diagnostics
            .first()
            .map(|d| d.path.display().to_string())
            .unwrap_or_else(|| "the manifest".to_string());
        let _ = write!(out, "{} in {file}", count_words(n, 0));
        out
    }
}

/// Maps byte offsets of one manifest text to lines, columns and blanked snippets.
pub(crate) struct SourceMap<'a> {
    path: &'a Path,
    text: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// Byte ranges whose characters must never be shown (secret values).
    blanks: Vec<Range<usize>>,
}

impl<'a> SourceMap<'a> {
    /// Indexes `text`; `blanks` are the byte ranges to hide in snippets.
    pub(crate) fn new(path: &'a Path, text: &'a str, blanks: Vec<Range<usize>>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceMap {
            path,
            text,
            line_starts,
            blanks,
        }
    }

    /// Clamps an offset into the text and onto a character boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while o > 0 && !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// 0-based line index holding `offset`.
    fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.line_index(self.clamp(offset)) + 1
    }

    /// Byte range of a line's content, without its line terminator.
    fn line_range(&self, index: usize) -> Range<usize> {
        let start = self.line_starts.get(index).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(index + 1)
            .map(|next| next - 1)
            .unwrap_or(self.text.len());
        let end = if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        start..end.max(start)
    }

    /// Builds the diagnostic for a byte span.
    pub(crate) fn diagnostic(&self, span: Range<usize>, message: String) -> Diagnostic {
        let mut start = self.clamp(span.start);
        // An error at the very end of a file that ends in a newline belongs to the
        // last line, not to an empty line after it.
        if start == self.text.len() && self.text.ends_with('\n') {
            start -= 1;
        }
        let index = self.line_index(start);
        let line = self.line_range(index);
        let start = start.clamp(line.start, line.end);
        let end = self.clamp(span.end.max(start));
        let column = self.text[line.start..start].chars().count() + 1;
        let caret_end = end.min(line.end).max(start);
        let caret_len = self.text[start..caret_end].chars().count().max(1);
        let snippet = self.snippet(line);
        Diagnostic {
            path: self.path.to_path_buf(),
            line: index + 1,
            column,
            message,
            snippet: Some(snippet),
            caret_len,
            level: DiagLevel::Error,
            code: None,
            fix: None,
        }
    }

    /// The text of a line with every blanked character replaced by `*`. The
    /// character count is kept so the caret still lines up.
    fn snippet(&self, line: Range<usize>) -> String {
        let text = &self.text[line.clone()];
        text.char_indices()
            .map(|(i, c)| {
                let at = line.start + i;
                if self.blanks.iter().any(|b| b.contains(&at)) {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> SourceMap<'_> {
        SourceMap::new(Path::new("m.toml"), text, Vec::new())
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a = 1\nname = \"héllo\" x\n";
        let at = text.find('x').unwrap();
        let d = map(text).diagnostic(at..at + 1, "m".into());
        assert_eq!((d.line, d.column, d.caret_len), (2, 16, 1));
        assert_eq!(d.snippet.as_deref(), Some("name = \"héllo\" x"));
    }

    #[test]
    fn caret_stops_at_the_end_of_the_line() {
        let text = "k = \"\"\"a\nb\"\"\"\n";
        let d = map(text).diagnostic(4..text.len() - 1, "m".into());
        assert_eq!((d.line, d.column, d.caret_len), (1, 5, 4));
    }

    #[test]
    fn end_of_file_points_at_the_last_line() {
        let text = "a = 1\nb = \n";
        let d = map(text).diagnostic(text.len()..text.len(), "m".into());
        assert_eq!((d.line, d.column), (2, 5));
        let d = map("").diagnostic(0..0, "m".into());
        assert_eq!((d.line, d.column, d.caret_len), (1, 1, 1));
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        let text = "é";
        let d = map(text).diagnostic(1..99, "m".into());
        assert_eq!(d.line, 1);
    }

    #[test]
    fn blanked_ranges_are_starred_and_keep_alignment() {
        let text = "k = \"secret\"\n";
        let blanks: Vec<Range<usize>> = std::iter::once(5..11).collect();
        let m = SourceMap::new(Path::new("m.toml"), text, blanks);
        let d = m.diagnostic(4..12, "m".into());
        assert_eq!(d.snippet.as_deref(), Some("k = \"******\""));
        assert_eq!((d.column, d.caret_len), (5, 8));
    }

    #[test]
    fn render_places_the_caret_under_the_column_and_counts_errors() {
        let m = map("a = 1\n\tb = 2\n");
        let e = ManifestError {
            diagnostics: vec![
                m.diagnostic(0..1, "first".into()),
                m.diagnostic(7..8, "second".into()),
            ],
        };
        assert_eq!(
            e.render(),
            "m.toml:1:1: error: first\n  | a = 1\n  | ^\n\
             m.toml:2:2: error: second\n  | \tb = 2\n  | \t^\n\
             2 errors in m.toml"
        );
        let one = ManifestError {
            diagnostics: vec![Diagnostic::whole_file(Path::new("x.toml"), "gone")],
        };
        assert_eq!(one.render(), "x.toml: error: gone\n1 error in x.toml");
    }

    #[test]
    fn many_diagnostics_are_capped_with_a_count_of_the_rest() {
        let text = "a = 1\n".repeat(MAX_SHOWN + 7);
        let m = map(&text);
        let e = ManifestError {
            diagnostics: (0..MAX_SHOWN + 7)
                .map(|i| m.diagnostic(i * 6..i * 6 + 1, format!("problem {i}")))
                .collect(),
        };
        let out = e.render();
        assert!(out.contains("problem 49"), "{out}");
        assert!(!out.contains("problem 50"), "{out}");
        assert!(
            out.contains("... and 7 more (only the first 50 are shown)\n"),
            "{out}"
        );
        assert!(out.ends_with("57 errors in m.toml"), "{out}");
    }

    #[test]
    fn lints_render_their_level_code_and_fix() {
        let m = map("a = 1\n");
        let mut d = m.diagnostic(4..5, "odd".into());
        d.level = DiagLevel::Warning;
        d.code = Some("some-code");
        d.fix = Some("do this".into());
        assert_eq!(
            render_lints(std::slice::from_ref(&d)),
            "m.toml:1:5: warning: odd (code: some-code)\n  | a = 1\n  |     ^\n  = fix: do this\n1 warning in m.toml"
        );
        let mut e = d.clone();
        e.level = DiagLevel::Error;
        assert!(render_lints(&[e, d]).ends_with("1 error and 1 warning in m.toml"));
        assert_eq!(render_lints(&[]), "");
    }
}

//! Config errors that point at the file, line and column to change.

use std::fmt;
use std::ops::Range;

/// One mistake in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What to change, when we can say.
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every mistake found in one config file, in file order.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while a config is checked, turning byte spans into lines.
pub(crate) struct Collector<'a> {
    file: &'a str,
    text: &'a str,
    pub errors: Vec<(usize, ConfigError)>,
}

impl<'a> Collector<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Collector {
            file,
            text,
            errors: Vec::new(),
        }
    }

    /// Records an error at a byte span of the file.
    /// A second error at the same place (a follow-on of the first) is dropped.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>, hint: Option<&str>) {
        let offset = span.start.min(self.text.len());
        if self.errors.iter().any(|(o, _)| *o == offset) {
            return;
        }
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.errors.push((
            offset,
            ConfigError {
                file: self.file.to_string(),
                line,
                column,
                message: message.into(),
                hint: hint.map(str::to_string),
            },
        ));
    }

    pub fn finish(mut self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(offset, _)| *offset);
        Err(ConfigErrors(
            self.errors.into_iter().map(|(_, e)| e).collect(),
        ))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

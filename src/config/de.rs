//! A serde deserializer over toml's spanned tree that reads past mistakes.
//!
//! serde stops at the first error, but whoever edits a config wants every
//! mistake at once. This deserializer records a mistake (with its span) in a
//! report kept for the current thread, hands the visitor a placeholder of the
//! type it asked for, and reads on. Unknown keys are recorded and skipped.
//! Validating newtypes (`values.rs`) report through [`recover`] the same way.
//! A placeholder never escapes: the loader returns no config once a mistake
//! is recorded. What still stops a table (a missing required key) is
//! recorded once, at the table, and stops only that table.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeValue;

mod report;
mod value;

pub(crate) use report::{Problem, recover};

/// Deserializes one value, returning what was read (`None` when a table
/// could not be read at all) and every mistake found on the way.
pub(crate) fn read<T: DeserializeOwned>(tree: Spanned<DeValue<'_>>) -> (Option<T>, Vec<Problem>) {
    let span = tree.span();
    let (result, problems) =
        report::keeping(|| report::settle(T::deserialize(value::Value::new(tree)), span));
    (result.ok(), problems)
}

/// Like [`read`], then `finish` turns what was read into its typed form,
/// recording its own mistakes with [`recover`].
pub(crate) fn read_then<T: DeserializeOwned, U>(
    tree: Spanned<DeValue<'_>>,
    finish: impl FnOnce(T) -> Result<U, report::Error>,
) -> (Option<U>, Vec<Problem>) {
    let span = tree.span();
    let (result, problems) = report::keeping(|| {
        let read = T::deserialize(value::Value::new(tree)).and_then(finish);
        report::settle(read, span)
    });
    (result.ok(), problems)
}

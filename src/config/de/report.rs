//! The report of mistakes kept for the current thread while a value is
//! read, and the error that travels up once a mistake is recorded.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use serde::de;

/// A recorded mistake: where, what, and what to change.
#[derive(Debug)]
pub(crate) struct Problem {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

thread_local! {
    static REPORT: RefCell<Option<Vec<Problem>>> = const { RefCell::new(None) };
}

/// Records a mistake found by a validating newtype and returns `placeholder`
/// so reading goes on. Outside [`read`] it is an ordinary serde error.
pub(crate) fn recover<T, E: de::Error>(
    span: Range<usize>,
    message: impl Into<String>,
    hint: Option<&str>,
    placeholder: T,
) -> Result<T, E> {
    let message = message.into();
    if push(span, message.clone(), hint.map(str::to_string)) {
        Ok(placeholder)
    } else {
        Err(E::custom(message))
    }
}

/// Records a mistake; false when no report is being kept.
pub(super) fn push(span: Range<usize>, message: String, hint: Option<String>) -> bool {
    REPORT
        .with_borrow_mut(|r| {
            r.as_mut().map(|r| {
                r.push(Problem {
                    span,
                    message,
                    hint,
                })
            })
        })
        .is_some()
}

/// An error passing up from a child is recorded once, at the child's span,
/// then travels on marked as recorded.
pub(super) fn settle<T>(result: Result<T, Error>, span: Range<usize>) -> Result<T, Error> {
    result.map_err(|e| {
        if !e.recorded {
            push(e.span.unwrap_or(span), e.message, None);
        }
        Error {
            message: "recorded".into(),
            span: None,
            recorded: true,
        }
    })
}

#[derive(Debug)]
pub(crate) struct Error {
    pub(super) message: String,
    span: Option<Range<usize>>,
    recorded: bool,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            span: None,
            recorded: false,
        }
    }
}

pub(super) fn from_toml(e: toml::de::Error, span: Range<usize>) -> Error {
    Error {
        message: e.message().trim().to_string(),
        span: Some(e.span().unwrap_or(span)),
        recorded: false,
    }
}

/// Runs `read` with a fresh report, returning what it found.
pub(super) fn keeping<T>(read: impl FnOnce() -> T) -> (T, Vec<Problem>) {
    let previous = REPORT.replace(Some(Vec::new()));
    let out = read();
    (out, REPORT.replace(previous).unwrap_or_default())
}

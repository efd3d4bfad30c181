//! Reconciliation: does the target hold what the source holds?
//!
//! `counts` compares one integer, or `(group, count)` rows, per side;
//! `keyed` names the records that are missing, extra or changed.

mod counts;
mod keyed;

pub use counts::{CountReconcile, compare};
pub use keyed::{KeyedReconcile, judge};

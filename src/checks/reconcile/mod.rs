//! Reconciliation: does the target hold what the source holds?
//!
//! `counts` compares one integer, or `(group, count)` rows, per side.

mod counts;

pub use counts::{CountReconcile, compare};

//! Both sides of a keyed diff, and how their checksum rows read.

use super::plan::Plan;
use crate::sources::{SourceError, SqlSource};

/// Segments checked at once (each is one query per side).
pub(super) const PARALLEL_SEGMENTS: usize = 4;
/// A segment's row count and checksum on one side.
pub(super) type CountSum = (u128, u128);

pub struct Sides<'a> {
    pub source: &'a SqlSource,
    pub target: &'a SqlSource,
    pub plan: &'a Plan,
}

pub(super) fn parse_u128(row: &[Option<String>], i: usize) -> Result<u128, SourceError> {
    row.get(i)
        .and_then(|v| v.as_deref())
        .unwrap_or("0")
        .split('.')
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| SourceError::Shape("segment checksum is not a number".into()))
}

pub(super) fn parse_i128(row: &[Option<String>], i: usize) -> Option<i128> {
    row.get(i)
        .and_then(|v| v.as_deref())
        .and_then(|v| v.parse().ok())
}

//! Workflow probes against a FHIR-like server on loopback with known
//! per-step delays: reported latencies, histogram buckets, the failing step
//! named, timeouts recorded on the step that timed out, OAuth2 token reuse,
//! and burn rates and baseline ratios served by a daemon from its store.
//! The latency accuracy test runs alone, in `tests/workflow_latency.rs`.

mod daemon;
mod fixtures;
mod history;
mod mllp;
mod probes;
mod sql_steps;

pub(crate) use fixtures::*;

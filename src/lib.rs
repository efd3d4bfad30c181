//! hypercare: watches an EHR system through the weeks after a migration goes
//! live. See `docs/architecture.md` for the rooms and how data flows.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod demo;
pub mod derive;
pub mod digest;
pub mod feedback;
pub mod health_probe;
pub mod metrics;
pub mod notify;
pub mod results;
pub mod scheduler;
pub mod sources;
pub mod stabilization;
pub mod store;
pub mod telemetry;
pub mod web;

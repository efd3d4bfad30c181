//! Typed `[[workflows]]` probes: named steps run in order against a target
//! system (HTTP) and SQL sources, with variables, pools of test values,
//! expectations, an optional baseline and an SLO.
//!
//! Templates (`{{var}}`) and extraction paths are parsed here, once; a
//! workflow that loaded refers only to variables that exist when its step runs.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{CronSchedule, Name};

pub mod hl7;
pub mod journeys;
mod path;
mod template;

pub use path::{Extract, as_text};
pub use template::{Part, Template};

/// Variables every workflow has without declaring them.
pub const BUILTIN_VARS: [&str; 2] = ["today", "run"];

/// Histogram buckets of step and workflow latency, in seconds, when
/// `[workflow_metrics] buckets` is not set: 10 ms to 30 s.
pub const DEFAULT_BUCKETS: [f64; 14] = [
    0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0,
];

/// One `[[workflows]]` probe.
#[derive(Debug, Clone)]
pub struct WorkflowConfig {
    pub name: Name,
    pub description: Option<String>,
    pub schedule: CronSchedule,
    pub timeout: Duration,
    pub enabled: bool,
    /// The HTTP system probed (a FHIR source).
    pub target: Name,
    pub baseline: Option<Baseline>,
    /// The window over which target and baseline p50/p95 are compared.
    pub baseline_window: Duration,
    pub slo: Option<Slo>,
    /// Constants, by name.
    pub vars: BTreeMap<String, String>,
    /// Test values rotated per run, by name (every pool has at least one).
    pub pools: BTreeMap<String, Vec<String>>,
    pub steps: Vec<Step>,
    /// Cap on each HTTP step's response body (and MLLP step's ACK), in
    /// bytes: past it the step ends as `error` instead of growing memory.
    pub max_response_bytes: u64,
    /// The clinic this probe stands for; `None`: every clinic of the waves
    /// watching it.
    pub clinic: Option<Name>,
}

/// Default of `max_response_bytes`: 16 MiB, room for a stock journey's attachment.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// What the target's latency is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// The same steps run against this system (a FHIR source) after the target.
    Live(Name),
    /// Pre-go-live figures of the whole workflow.
    Fixed { p50: Duration, p95: Duration },
}

/// A latency SLO: `objective` of runs succeed within `latency`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slo {
    pub latency: Duration,
    /// Between 0 and 1 (exclusive of 1: a budget of zero cannot burn).
    pub objective: f64,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Unique in its workflow; a metric label.
    pub name: Name,
    pub timeout: Duration,
    pub action: Action,
    /// Variable name → where its value is read from.
    pub extract: Vec<(String, Extract)>,
    pub expect: Expect,
}

#[derive(Debug, Clone)]
pub enum Action {
    Http(HttpRequest),
    /// A query on a SQL source; `params` bind `$1…` (`?` on MySQL) as text.
    Sql {
        from: Name,
        sql: String,
        params: Vec<Template>,
    },
    /// An HL7 v2 message over MLLP, answered by an ACK.
    Mllp(hl7::MllpRequest),
}

/// An HTTP request relative to the system's base URL.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Uppercase: GET, POST, PUT, DELETE, HEAD, PATCH.
    pub method: String,
    /// Relative to the base (`Patient`, `Patient/{{patient_id}}`); values
    /// are percent-encoded into it.
    pub path: Template,
    pub query: Vec<(String, Template)>,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
}

/// Expectations on a step's answer. With no `status`, any 2xx passes.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<Vec<u16>>,
    pub body_contains: Option<String>,
    pub json: Vec<(Extract, serde_json::Value)>,
    pub count: Option<u64>,
    pub min_count: Option<u64>,
    pub max_duration: Option<Duration>,
    /// MLLP: the accepted ACK codes (MSA-1); `None`: AA or CA.
    pub ack: Option<Vec<String>>,
}

impl Step {
    /// The variables this step reads.
    pub fn uses(&self) -> Vec<&str> {
        let mut out = Vec::new();
        match &self.action {
            Action::Http(h) => {
                out.extend(h.path.vars());
                for (_, t) in h.query.iter().chain(&h.headers) {
                    out.extend(t.vars());
                }
                if let Some(b) = &h.body {
                    out.extend(b.vars());
                }
            }
            Action::Sql { params, .. } => params.iter().for_each(|p| out.extend(p.vars())),
            Action::Mllp(m) => out.extend(m.message.vars()),
        }
        out
    }
}

/// `[workflow_metrics]`: the histogram buckets (seconds, ascending) of step
/// and workflow latency. Changes take effect at the next start.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkflowMetricsConfig {
    #[serde(deserialize_with = "buckets")]
    pub buckets: Vec<f64>,
}

/// Durations above zero, ascending, as seconds.
fn buckets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let list =
        <toml::Spanned<Vec<super::values::DurationItem>> as serde::Deserialize>::deserialize(d)?;
    let buckets: Vec<f64> = list.get_ref().iter().map(|b| b.0.as_secs_f64()).collect();
    if buckets.is_empty() || buckets.windows(2).any(|w| w[0] >= w[1]) || buckets[0] <= 0.0 {
        let message = "buckets must be durations above zero in ascending order";
        let hint = "such as [\"10ms\", \"50ms\", \"100ms\", \"500ms\", \"1s\", \"5s\", \"30s\"]";
        return super::de::recover(list.span(), message, Some(hint), DEFAULT_BUCKETS.to_vec());
    }
    Ok(buckets)
}

impl Default for WorkflowMetricsConfig {
    fn default() -> Self {
        WorkflowMetricsConfig {
            buckets: DEFAULT_BUCKETS.to_vec(),
        }
    }
}

//! What a workflow probe measures: per step, its outcome and latency; per
//! run, the first failing step, the total latency, the SLO verdict and the
//! same steps against the baseline system when one is live.
//!
//! Step names come from config, never from URLs (a URL can carry a patient
//! identifier). Error texts name the step and the class of failure only.

use serde::{Deserialize, Serialize};

/// How one step ended, a closed set used as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum StepOutcome {
    /// The step answered and every expectation held.
    Ok,
    /// An expectation on the body, a JSON value, the count or the duration failed.
    Assertion,
    /// The step took longer than its timeout.
    Timeout,
    /// The connection could not be made (refused, DNS, TLS).
    Connect,
    /// The HTTP status was not the expected one.
    HttpStatus,
    /// A variable to extract was not in the response.
    Extract,
    /// The SQL query failed.
    Sql,
    /// An MLLP acknowledgement carried a code the step does not accept
    /// (AE or AR where AA was expected, say).
    AckCode,
    /// The token endpoint refused or failed (OAuth2 client credentials).
    Auth,
    /// Any other failure (a body that is not JSON, a broken connection mid-response).
    Error,
    /// Not run: an earlier step failed.
    Skipped,
}

impl StepOutcome {
    pub const ALL: &[StepOutcome] = <StepOutcome as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the system answered wrongly or too slowly (the run fails),
    /// as opposed to the probe not reaching it (the run errors).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            StepOutcome::Assertion
                | StepOutcome::Timeout
                | StepOutcome::HttpStatus
                | StepOutcome::AckCode
                | StepOutcome::Extract
        )
    }
}

/// Figures of one workflow run. Every field defaults when read back, so
/// details stored by an older version still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkflowDetails {
    /// `ok`, or the outcome of the first failing step.
    pub outcome: Option<StepOutcome>,
    /// The first step that did not end `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    /// Sum of the measured step latencies (requests only, not the probe's
    /// own templating and parsing), in milliseconds.
    pub total_ms: f64,
    /// Which entry of the test-value pools this run used.
    pub pool_index: u64,
    pub steps: Vec<StepResult>,
    /// Present when the workflow has an SLO: the run succeeded and its total
    /// latency was within the SLO threshold. Burn rates count the runs where
    /// this is false (or the run failed or errored) against the error budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_good: Option<bool>,
    /// The SLO latency threshold applied, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_latency_ms: Option<f64>,
    /// The same steps against the baseline (legacy) system, when it is live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRun>,
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// The step name from config.
    pub name: String,
    pub outcome: StepOutcome,
    /// Measured around the request (or query) only, in milliseconds with
    /// microsecond precision; absent for a skipped step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The HTTP status, when a response came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Bundle entries, array items or SQL rows, when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// What went wrong, without URLs or record values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl StepResult {
    pub fn skipped(name: &str) -> StepResult {
        StepResult {
            name: name.to_string(),
            outcome: StepOutcome::Skipped,
            duration_ms: None,
            status: None,
            count: None,
            error: None,
        }
    }
}

/// The run's steps against the baseline system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineRun {
    pub outcome: Option<StepOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    pub total_ms: f64,
    pub steps: Vec<StepResult>,
    /// Target total over baseline total for this run, when both succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

/// Milliseconds with microsecond precision, for details.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

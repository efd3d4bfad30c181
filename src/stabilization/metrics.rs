//! Stabilization gauges (read from the store each round, so replicas agree)
//! and the digest counter. Labels are config names and fixed states only.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use super::scorecard::{Scorecard, State};

/// The `clinic` label of the overall figures.
pub const ALL: &str = "_all";

#[derive(Clone)]
pub struct StabilizationMetrics {
    day: IntGaugeVec,
    criterion: IntGaugeVec,
    exit_ready: IntGaugeVec,
    trigger: IntGaugeVec,
    digests: IntCounterVec,
}

impl StabilizationMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<StabilizationMetrics> {
        let m = StabilizationMetrics {
            day: IntGaugeVec::new(
                Opts::new(
                    "hypercare_stabilization_day",
                    "Days since the clinic's go-live (0 on the day); clinic=\"_all\" counts from the first go-live.",
                ),
                &["clinic"],
            )?,
            criterion: IntGaugeVec::new(
                Opts::new(
                    "hypercare_stabilization_criterion",
                    "1 for each exit criterion's current state (met, not_met, unknown), 0 for the other states.",
                ),
                &["clinic", "criterion", "state"],
            )?,
            exit_ready: IntGaugeVec::new(
                Opts::new(
                    "hypercare_stabilization_exit_ready",
                    "1 when every exit criterion of the clinic (or of all clinics) is met.",
                ),
                &["clinic"],
            )?,
            trigger: IntGaugeVec::new(
                Opts::new(
                    "hypercare_rollback_trigger",
                    "1 while a rollback trigger is breached for the clinic, else 0.",
                ),
                &["clinic", "trigger"],
            )?,
            digests: IntCounterVec::new(
                Opts::new(
                    "hypercare_digests_sent_total",
                    "Digest messages this process queued to the outbox (one per recipient and period).",
                ),
                &["digest"],
            )?,
        };
        registry.register(Box::new(m.day.clone()))?;
        registry.register(Box::new(m.criterion.clone()))?;
        registry.register(Box::new(m.exit_ready.clone()))?;
        registry.register(Box::new(m.trigger.clone()))?;
        registry.register(Box::new(m.digests.clone()))?;
        Ok(m)
    }

    pub fn show(&self, s: &Scorecard) {
        self.day.reset();
        self.criterion.reset();
        self.exit_ready.reset();
        self.trigger.reset();
        let set_states = |clinic: &str, name: &str, state: State| {
            for st in State::ALL {
                self.criterion
                    .with_label_values(&[clinic, name, st.as_str()])
                    .set(i64::from(st == state));
            }
        };
        for c in &s.clinics {
            self.day.with_label_values(&[&c.clinic]).set(c.day);
            self.exit_ready
                .with_label_values(&[&c.clinic])
                .set(i64::from(c.exit_ready));
            for cr in &c.criteria {
                set_states(&c.clinic, &cr.name, cr.state);
            }
            for t in &c.triggers {
                self.trigger
                    .with_label_values(&[&c.clinic, &t.name])
                    .set(i64::from(t.breached));
            }
        }
        if !s.clinics.is_empty() {
            self.day.with_label_values(&[ALL]).set(s.day);
            self.exit_ready
                .with_label_values(&[ALL])
                .set(i64::from(s.exit_ready));
            for cr in &s.overall {
                set_states(ALL, &cr.name, cr.state);
            }
        }
    }

    /// Shows a digest at 0 before its first message.
    pub fn digest_known(&self, digest: &str) {
        self.digests.with_label_values(&[digest]).inc_by(0);
    }

    pub fn digests_sent(&self, digest: &str, n: u64) {
        self.digests.with_label_values(&[digest]).inc_by(n);
    }
}

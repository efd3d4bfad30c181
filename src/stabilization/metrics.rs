//! Stabilization gauges (read from the store each round, so replicas
//! agree). Labels are config names and fixed states only.

use prometheus::{IntGaugeVec, Opts, Registry};

use crate::derive::scorecard::{ALL, Scorecard, State};

#[derive(Clone)]
pub struct StabilizationMetrics {
    day: IntGaugeVec,
    criterion: IntGaugeVec,
    exit_ready: IntGaugeVec,
    trigger: IntGaugeVec,
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
        };
        registry.register(Box::new(m.day.clone()))?;
        registry.register(Box::new(m.criterion.clone()))?;
        registry.register(Box::new(m.exit_ready.clone()))?;
        registry.register(Box::new(m.trigger.clone()))?;
        Ok(m)
    }

    pub fn show(&self, s: &Scorecard) {
        self.day.reset();
        self.criterion.reset();
        self.exit_ready.reset();
        self.trigger.reset();
        let set_states = |clinic: &str, name: &str, state: State| {
            for &st in State::ALL {
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
}

//! Gauges of handoff checks, from the latest result: items per class, the
//! unexpected and duplicated counts, the latency quantiles and the latency
//! distribution (for the heatmap), and items per clinic and class where the
//! events are attributed. Labels are config names and closed sets; never a key.

use prometheus::{GaugeVec, IntGaugeVec, Opts, Registry};

use super::must;
use crate::results::{HandoffDetails, LATENCY_BUCKETS};

/// The classes of `hypercare_handoff_items`.
pub const CLASSES: [&str; 4] = ["completed", "late", "pending", "stuck"];

pub(super) struct HandoffMetrics {
    items: IntGaugeVec,
    unexpected: IntGaugeVec,
    duplicated: IntGaugeVec,
    latency: GaugeVec,
    latency_items: IntGaugeVec,
    clinic_items: IntGaugeVec,
}

fn classes(d: &HandoffDetails) -> [u64; 4] {
    [d.completed, d.late, d.pending, d.stuck]
}

fn le_label(i: usize) -> String {
    LATENCY_BUCKETS
        .get(i)
        .map_or_else(|| "+Inf".to_string(), |le| le.to_string())
}

impl HandoffMetrics {
    pub fn new(registry: &Registry) -> HandoffMetrics {
        let int = |name: &str, help: &str, labels: &[&str]| {
            let g = must(IntGaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let latency = must(GaugeVec::new(
            Opts::new(
                "hypercare_handoff_latency_seconds",
                "Event-to-arrival latency of completed and late items in the latest run, at p50 and p95 (label `percentile`, as the workflow gauges: promtool keeps `quantile` for summaries).",
            ),
            &["check", "percentile"],
        ));
        must(registry.register(Box::new(latency.clone())));
        HandoffMetrics {
            items: int(
                "hypercare_handoff_items",
                "Events of the look-back window in the latest run, by class.",
                &["check", "class"],
            ),
            unexpected: int(
                "hypercare_handoff_unexpected",
                "Arrivals in the window with no event, in the latest run.",
                &["check"],
            ),
            duplicated: int(
                "hypercare_handoff_duplicated",
                "Keys that arrived more than once, in the latest run.",
                &["check"],
            ),
            latency,
            latency_items: int(
                "hypercare_handoff_latency_items",
                "Completed and late items of the latest run whose latency is at most at_most seconds (cumulative; not named le: a gauge, promtool keeps le for histograms).",
                &["check", "at_most"],
            ),
            clinic_items: int(
                "hypercare_handoff_clinic_items",
                "Events of the latest run per clinic and class, where the events name a clinic.",
                &["check", "clinic", "class"],
            ),
        }
    }

    /// Shows every series of a configured handoff at 0 before its first run.
    pub fn init(&self, check: &str) {
        for class in CLASSES {
            self.items.with_label_values(&[check, class]).set(0);
        }
        self.unexpected.with_label_values(&[check]).set(0);
        self.duplicated.with_label_values(&[check]).set(0);
    }

    /// Shows a check's latest result; a run that could not judge keeps the
    /// previous figures.
    pub fn show(&self, check: &str, d: &HandoffDetails) {
        if d.error.is_some() {
            return;
        }
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for (class, v) in CLASSES.iter().zip(classes(d)) {
            self.items.with_label_values(&[check, class]).set(n(v));
        }
        self.unexpected
            .with_label_values(&[check])
            .set(n(d.unexpected));
        self.duplicated
            .with_label_values(&[check])
            .set(n(d.duplicated));
        for (q, v) in [("p50", d.p50_seconds), ("p95", d.p95_seconds)] {
            let g = self.latency.with_label_values(&[check, q]);
            g.set(v.map_or(f64::NAN, |v| v as f64));
        }
        let mut cumulative = 0;
        for (i, count) in d.latency_counts.iter().enumerate() {
            cumulative += count;
            let le = le_label(i);
            self.latency_items
                .with_label_values(&[check, &le])
                .set(n(cumulative));
        }
        for (clinic, c) in &d.by_clinic {
            let values = [c.completed, c.late, c.pending, c.stuck];
            for (class, v) in CLASSES.iter().zip(values) {
                self.clinic_items
                    .with_label_values(&[check, clinic, class])
                    .set(n(v));
            }
        }
    }

    /// Clears every series, before they are refilled for a new config.
    pub fn reset(&self) {
        for g in [
            &self.items,
            &self.unexpected,
            &self.duplicated,
            &self.latency_items,
            &self.clinic_items,
        ] {
            g.reset();
        }
        self.latency.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ClinicHandoffs;

    #[test]
    fn classes_latency_and_clinics_are_shown_without_keys() {
        let reg = Registry::new();
        let m = HandoffMetrics::new(&reg);
        m.init("visits");
        let mut d = HandoffDetails {
            completed: 5,
            stuck: 2,
            p50_seconds: Some(3_600),
            latency_counts: vec![1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0],
            stuck_keys: vec!["E123".into()],
            ..Default::default()
        };
        let east = ClinicHandoffs {
            stuck: 2,
            ..Default::default()
        };
        d.by_clinic.insert("east".into(), east);
        m.show("visits", &d);
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&reg.gather())
            .unwrap_or_default();
        for line in [
            r#"hypercare_handoff_items{check="visits",class="stuck"} 2"#,
            r#"hypercare_handoff_items{check="visits",class="late"} 0"#,
            r#"hypercare_handoff_latency_seconds{check="visits",percentile="p50"} 3600"#,
            r#"hypercare_handoff_latency_items{at_most="3600",check="visits"} 5"#,
            r#"hypercare_handoff_latency_items{at_most="+Inf",check="visits"} 5"#,
            r#"hypercare_handoff_clinic_items{check="visits",class="stuck",clinic="east"} 2"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(!text.contains("E123"));
    }
}

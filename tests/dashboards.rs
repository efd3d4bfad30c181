//! Every metric a dashboard queries is documented in docs/metrics.md, so a
//! dashboard never depends on a name that a release may drop.

use std::path::Path;

#[path = "support/promql.rs"]
mod promql;

use promql::{dashboard_queries, metric_names};

#[test]
fn dashboards_query_only_documented_metrics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/metrics.md")).expect("docs/metrics.md");
    let mut checked = 0;
    for q in dashboard_queries(root) {
        let (dashboard, expr) = (&q.dashboard, &q.expr);
        let names = metric_names(expr);
        assert!(
            !names.is_empty() || expr.contains("label_values"),
            "{dashboard}: no metric in `{expr}`"
        );
        for name in names {
            assert!(
                docs.contains(&format!("`{name}`")),
                "{dashboard}: `{name}` (in `{expr}`) is not in docs/metrics.md"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} metric references found");
}

#[test]
fn metric_names_are_found_in_promql() {
    let names = metric_names(
        "histogram_quantile(0.9, rate(hypercare_check_duration_seconds_bucket[5m])) / process_open_fds",
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec![
            "hypercare_check_duration_seconds".to_string(),
            "process_open_fds".to_string()
        ]
    );
}

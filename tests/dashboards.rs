//! Every metric a dashboard queries is documented in docs/metrics.md, so a
//! dashboard never depends on a name that a release may drop.

use std::collections::BTreeSet;
use std::path::Path;

/// Metric names in PromQL text: `hypercare_…` and `process_…` identifiers,
/// with histogram series suffixes folded into the family name.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let start_ok = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let rest: String = bytes[i..].iter().collect();
        if start_ok && (rest.starts_with("hypercare_") || rest.starts_with("process_")) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            i += name.len();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(&name)
                .to_string();
            names.insert(family);
        } else {
            i += 1;
        }
    }
    names
}

fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            // Panel targets have `expr`; template variables of type `query` have `query`.
            let is_query_var = map.get("type").and_then(|t| t.as_str()) == Some("query");
            for (k, v) in map {
                if (k == "expr" || (k == "query" && is_query_var)) && v.is_string() {
                    out.push(v.as_str().unwrap_or_default().to_string());
                } else {
                    exprs(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

#[test]
fn dashboards_query_only_documented_metrics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/metrics.md")).expect("docs/metrics.md");
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("dashboards")).expect("dashboards/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read dashboard");
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut all = Vec::new();
        exprs(&json, &mut all);
        assert!(!all.is_empty(), "{} has no queries", path.display());
        for expr in &all {
            let names = metric_names(expr);
            assert!(
                !names.is_empty() || expr.contains("label_values"),
                "{}: no metric in `{expr}`",
                path.display()
            );
            for name in names {
                assert!(
                    docs.contains(&format!("`{name}`")),
                    "{}: `{name}` (in `{expr}`) is not in docs/metrics.md",
                    path.display()
                );
                checked += 1;
            }
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

//! The queries in the dashboards under `dashboards/` and the metric names
//! they use, shared by the test that they are documented
//! (`tests/dashboards.rs`) and the test that a fresh demo serves them
//! (`tests/it/panels.rs`).

use std::collections::BTreeSet;
use std::path::Path;

/// One PromQL expression of a dashboard.
pub struct Query {
    /// The dashboard's file name.
    pub dashboard: String,
    pub expr: String,
}

/// Every query of every dashboard: panel targets and template variables.
pub fn dashboard_queries(root: &Path) -> Vec<Query> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("dashboards")).expect("dashboards/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read dashboard");
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut exprs_here = Vec::new();
        exprs(&json, &mut exprs_here);
        assert!(!exprs_here.is_empty(), "{} has no queries", path.display());
        let dashboard = path.file_name().unwrap_or_default().to_string_lossy();
        out.extend(exprs_here.into_iter().map(|expr| Query {
            dashboard: dashboard.to_string(),
            expr,
        }));
    }
    out
}

/// Metric names in PromQL text: `hypercare_…` and `process_…` identifiers,
/// with histogram series suffixes folded into the family name.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
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

//! What the OpenAPI document says of known issues beyond the derive.

use crate::feedback::known::KnownStatus;

/// The document's closed values for known issues, from the config and the
/// model, so schemathesis sends only what the server can accept.
pub fn document_choices(doc: &mut serde_json::Value, config: &crate::config::Config) {
    use serde_json::{Value, json};
    let clinics: Vec<&str> = config.clinics.iter().map(|c| c.id.as_str()).collect();
    let roles: Vec<&str> = config
        .feedback
        .roles
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let statuses: Vec<&str> = KnownStatus::ALL.iter().map(|s| s.as_str()).collect();
    // Created with a workaround available, it must say what the workaround is.
    let needs = json!({
        "if": { "properties": { "status": { "const": "workaround_available" } }, "required": ["status"] },
        "then": { "required": ["workaround"], "properties": { "workaround":
            { "minLength": 1, "pattern": r"[^\s\u0000-\u001f\u007f-\u009f]" } } }
    });
    if let (Some(Value::Object(o)), Value::Object(n)) =
        (doc.pointer_mut("/components/schemas/NewKnownIssue"), needs)
    {
        o.extend(n);
    }
    let mut set = |at: &str, key: &str, value: Value| {
        if let Some(Value::Object(o)) = doc.pointer_mut(at) {
            o.insert(key.to_string(), value);
        }
    };
    let s = "/components/schemas";
    set(
        &format!("{s}/NewKnownIssue/properties/clinics/items"),
        "enum",
        json!(clinics),
    );
    set(
        &format!("{s}/NewKnownIssue/properties/roles/items"),
        "enum",
        json!(roles),
    );
    set(
        &format!("{s}/NewKnownIssue/properties/status"),
        "enum",
        json!(statuses),
    );
    set(
        &format!("{s}/NewKnownIssue/properties/reports/items"),
        "minimum",
        json!(1),
    );
    set(
        &format!("{s}/NewKnownIssue/properties/reports/items"),
        "maximum",
        json!(super::changes::MAX_REPORT_NUMBER),
    );
    set(
        &format!("{s}/KnownMerge/properties/reports/items"),
        "minimum",
        json!(1),
    );
    set(
        &format!("{s}/KnownMerge/properties/reports/items"),
        "maximum",
        json!(super::changes::MAX_REPORT_NUMBER),
    );
    set(
        &format!("{s}/KnownMove/properties/to"),
        "enum",
        json!(statuses),
    );
    set(
        &format!("{s}/KnownIssue/properties/status"),
        "enum",
        json!(statuses),
    );
    let list = "/paths/~1api~1v1~1known-issues/get/parameters";
    for (i, name) in ["clinic", "status"].iter().enumerate() {
        let values = if *name == "clinic" {
            json!(clinics)
        } else {
            json!(statuses)
        };
        if doc.pointer(&format!("{list}/{i}/name")) == Some(&json!(name))
            && let Some(Value::Object(o)) = doc.pointer_mut(&format!("{list}/{i}/schema"))
        {
            o.insert("enum".into(), values);
        }
    }
}

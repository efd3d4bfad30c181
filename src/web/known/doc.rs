//! What the OpenAPI document says of known issues beyond the derive.

use serde_json::{Value, json};

use crate::feedback::known::KnownStatus;

const SCHEMAS: &str = "/components/schemas";

/// The document's closed values for known issues, from the config and the
/// model, so schemathesis sends only what the server can accept.
pub fn document_choices(doc: &mut Value, config: &crate::config::Config) {
    let clinics: Vec<&str> = config.clinics.iter().map(|c| c.id.as_str()).collect();
    let roles: Vec<&str> = config
        .feedback
        .roles
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let statuses: Vec<&str> = KnownStatus::ALL.iter().map(|s| s.as_str()).collect();
    workaround_required(doc);
    let report = json!({ "minimum": 1, "maximum": super::changes::MAX_REPORT_NUMBER });
    let schemas = [
        (
            "NewKnownIssue/properties/clinics/items",
            json!({ "enum": clinics }),
        ),
        (
            "NewKnownIssue/properties/roles/items",
            json!({ "enum": roles }),
        ),
        (
            "NewKnownIssue/properties/status",
            json!({ "enum": statuses }),
        ),
        ("NewKnownIssue/properties/reports/items", report.clone()),
        ("KnownMerge/properties/reports/items", report),
        ("KnownMove/properties/to", json!({ "enum": statuses })),
        ("KnownIssue/properties/status", json!({ "enum": statuses })),
    ];
    for (at, keys) in schemas {
        extend(doc, &format!("{SCHEMAS}/{at}"), keys);
    }
    list_parameters(doc, &clinics, &statuses);
}

/// Created with a workaround available, it must say what the workaround is.
fn workaround_required(doc: &mut Value) {
    let needs = json!({
        "if": { "properties": { "status": { "const": "workaround_available" } }, "required": ["status"] },
        "then": { "required": ["workaround"], "properties": { "workaround":
            { "minLength": 1, "pattern": r"[^\s\u0000-\u001f\u007f-\u009f]" } } }
    });
    extend(doc, &format!("{SCHEMAS}/NewKnownIssue"), needs);
}

/// The list endpoint's `clinic` and `status` query parameters, found by
/// position and checked by name.
fn list_parameters(doc: &mut Value, clinics: &[&str], statuses: &[&str]) {
    let list = "/paths/~1api~1v1~1known-issues/get/parameters";
    for (i, (name, values)) in [("clinic", clinics), ("status", statuses)]
        .into_iter()
        .enumerate()
    {
        if doc.pointer(&format!("{list}/{i}/name")) == Some(&json!(name)) {
            extend(
                doc,
                &format!("{list}/{i}/schema"),
                json!({ "enum": values }),
            );
        }
    }
}

/// Adds `keys` (an object) to the object at `at`, if there is one.
fn extend(doc: &mut Value, at: &str, keys: Value) {
    if let (Some(Value::Object(o)), Value::Object(k)) = (doc.pointer_mut(at), keys) {
        o.extend(k);
    }
}

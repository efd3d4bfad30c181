//! The OpenAPI 3.0 document of `/api/v1`, written by hand and rendered from
//! the config, so its enumerations (clinics, roles, categories) are exactly
//! what the server accepts. A test checks it against the live API with
//! schemathesis (see `.ci/run`).

use serde_json::{Value, json};

use crate::config::Config;
use crate::feedback::model::{MAX_CONTACT_CHARS, MAX_NOTE_CHARS, MAX_TEXT_CHARS};
use crate::feedback::{Kind, Severity, Status};

/// A note that is not only blank or control characters.
const NOTE_PATTERN: &str = r"[^\s\u0000-\u001f\u007f-\u009f]";

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn common_errors() -> Value {
    json!({
        "401": error_response("No or wrong credentials."),
        "403": error_response("Admin access is not configured on this server."),
        "429": error_response("Too many failed sign-ins from this address."),
        "503": error_response("The store is unavailable."),
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn enum_of<'a>(values: impl Iterator<Item = &'a str>) -> Value {
    json!(values.collect::<Vec<_>>())
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn id_param() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "description": "The report's number.",
            "schema": { "type": "integer", "format": "int64", "minimum": 1 } })
}

pub fn document(config: &Config) -> Value {
    let clinics = enum_of(config.clinics.iter().map(|c| c.id.as_str()));
    let roles = enum_of(config.feedback.roles.iter().map(|c| c.id.as_str()));
    let categories = enum_of(config.feedback.categories.iter().map(|c| c.id.as_str()));
    let severities = enum_of(Severity::ALL.iter().map(|s| s.as_str()));
    let statuses = enum_of(Status::ALL.iter().map(|s| s.as_str()));
    let kinds = enum_of(Kind::ALL.iter().map(|k| k.as_str()));
    let has_clinics = !config.clinics.is_empty();

    let mut list_params = Vec::new();
    if has_clinics {
        list_params.push(query_param(
            "clinic",
            "Only this clinic.",
            json!({ "type": "string", "enum": clinics }),
        ));
    }
    list_params.extend([
        query_param(
            "category",
            "Only this category.",
            json!({ "type": "string", "enum": categories }),
        ),
        query_param(
            "severity",
            "Only this severity.",
            json!({ "type": "string", "enum": severities }),
        ),
        query_param(
            "status",
            "Only this status.",
            json!({ "type": "string", "enum": statuses }),
        ),
        query_param(
            "workaround",
            "Only reports with (true) or without (false) a manual workaround.",
            json!({ "type": "boolean" }),
        ),
        query_param(
            "before",
            "Only reports with a smaller id: the `next_before` of the previous page.",
            json!({ "type": "integer", "format": "int64", "minimum": 1 }),
        ),
        query_param(
            "limit",
            "Page size.",
            json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 100 }),
        ),
    ]);

    let mut new_props = json!({
        "role": { "type": "string", "enum": roles },
        "category": { "type": "string", "enum": categories },
        "severity": { "type": "string", "enum": severities },
        "workaround": { "type": "boolean", "default": false, "description": "The reporter had to use a manual workaround." },
        "text": { "type": "string", "maxLength": MAX_TEXT_CHARS, "default": "",
                  "description": "Free text. Likely patient identifiers are removed before it is stored; names are not caught." },
        "contact": { "type": "string", "nullable": true, "maxLength": MAX_CONTACT_CHARS, "description": "How to reach the reporter." },
        "submission_id": { "type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                           "description": "Idempotency key: a repeated request with the same id stores nothing new and answers 200." }
    });
    let mut required = vec!["role", "category", "severity"];
    if has_clinics {
        new_props["clinic"] = json!({ "type": "string", "enum": clinics });
        required.insert(0, "clinic");
    }

    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "hypercare feedback API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Staff feedback reports during an EHR go-live: list, read, create and triage them (new → acknowledged → resolved). Text is stored redacted."
        },
        "security": [ { "bearer": [] }, { "basic": [] } ],
        "paths": {
            "/api/v1/feedback": {
                "get": {
                    "operationId": "listFeedback",
                    "summary": "List reports, newest first.",
                    "parameters": list_params,
                    "responses": merge(json!({
                        "200": { "description": "A page of reports.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ItemList" } } } },
                        "400": error_response("A filter value is not known."),
                    }), common_errors())
                },
                "post": {
                    "operationId": "createFeedback",
                    "summary": "Create a report.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewReport" } } } },
                    "responses": merge(json!({
                        "201": { "description": "Stored.", "headers": { "Location": { "schema": { "type": "string" } } },
                                 "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Item" } } } },
                        "200": { "description": "Stored before with the same submission_id.", "headers": { "Location": { "schema": { "type": "string" } } },
                                 "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Item" } } } },
                        "400": error_response("The body is not valid JSON."),
                        "413": { "description": "The body is larger than `[feedback] max_body_bytes`." },
                        "415": error_response("The body is not `application/json`."),
                        "422": error_response("A field is missing or not valid; `fields` says which."),
                    }), common_errors())
                }
            },
            "/api/v1/feedback/{id}": {
                "get": {
                    "operationId": "getFeedback",
                    "summary": "A report with its audit trail.",
                    "parameters": [ id_param() ],
                    "responses": merge(json!({
                        "200": { "description": "The report.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ItemWithEvents" } } } },
                        "400": error_response("The id is not a positive integer."),
                        "404": error_response("No report with that id."),
                    }), common_errors())
                }
            },
            "/api/v1/feedback/{id}/transition": {
                "post": {
                    "operationId": "transitionFeedback",
                    "summary": "Move a report: new → acknowledged → resolved (a note is required), or reopen a resolved one (→ acknowledged).",
                    "parameters": [ id_param() ],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Transition" } } } },
                    "responses": merge(json!({
                        "200": { "description": "Moved.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Item" } } } },
                        "400": error_response("The id is not a positive integer, or the body is not valid JSON."),
                        "404": error_response("No report with that id."),
                        "409": error_response("The report's status does not allow that move."),
                        "413": { "description": "The body is larger than `[feedback] max_body_bytes`." },
                        "415": error_response("The body is not `application/json`."),
                        "422": error_response("The body is not valid."),
                    }), common_errors())
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "`[server] admin_token_env` / `admin_token_file`." },
                "basic": { "type": "http", "scheme": "basic", "description": "`[server] admin_user` with `admin_password_env` / `admin_password_file`." }
            },
            "schemas": {
                "NewReport": { "type": "object", "additionalProperties": false, "required": required, "properties": new_props },
                "Transition": { "oneOf": [
                    { "type": "object", "additionalProperties": false, "required": ["to"], "properties": {
                        "to": { "type": "string", "enum": ["acknowledged"] },
                        "note": { "type": "string", "maxLength": MAX_NOTE_CHARS } } },
                    { "type": "object", "additionalProperties": false, "required": ["to", "note"], "properties": {
                        "to": { "type": "string", "enum": ["resolved"] },
                        "note": { "type": "string", "maxLength": MAX_NOTE_CHARS, "pattern": NOTE_PATTERN } } }
                ] },
                "Item": { "type": "object", "required": ["id", "created_at", "clinic", "role", "category", "severity", "workaround", "text", "redacted", "contact", "source", "status", "status_changed_at"],
                    "properties": {
                        "id": { "type": "integer", "format": "int64" },
                        "created_at": { "type": "string", "format": "date-time" },
                        "clinic": { "type": "string", "nullable": true },
                        "role": { "type": "string" },
                        "category": { "type": "string" },
                        "severity": { "type": "string", "enum": severities },
                        "workaround": { "type": "boolean" },
                        "text": { "type": "string", "description": "Redacted text." },
                        "redacted": { "type": "array", "items": { "type": "string", "enum": kinds }, "description": "Kinds of identifiers removed." },
                        "contact": { "type": "string", "nullable": true },
                        "source": { "type": "string", "enum": ["form", "api"] },
                        "status": { "type": "string", "enum": statuses },
                        "status_changed_at": { "type": "string", "format": "date-time" }
                    } },
                "Event": { "type": "object", "required": ["at", "actor", "from", "to", "note"], "properties": {
                    "at": { "type": "string", "format": "date-time" },
                    "actor": { "type": "string" },
                    "from": { "type": "string", "nullable": true, "enum": [null, "new", "acknowledged", "resolved"] },
                    "to": { "type": "string", "enum": statuses },
                    "note": { "type": "string" } } },
                "ItemWithEvents": { "allOf": [ { "$ref": "#/components/schemas/Item" },
                    { "type": "object", "required": ["events"], "properties": { "events": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } } } } ] },
                "ItemList": { "type": "object", "required": ["items", "next_before"], "properties": {
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/Item" } },
                    "next_before": { "type": "integer", "format": "int64", "nullable": true } } },
                "Error": { "type": "object", "required": ["error"], "properties": {
                    "error": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "required": ["field", "message"], "properties": {
                        "field": { "type": "string" }, "message": { "type": "string" } } } } } }
            }
        }
    });
    // Alerts and silences (`openapi_alerts.rs`).
    if let (Some(p), Value::Object(extra)) =
        (doc["paths"].as_object_mut(), super::openapi_alerts::paths())
    {
        p.extend(extra);
    }
    if let (Some(s), Value::Object(extra)) = (
        doc["components"]["schemas"].as_object_mut(),
        super::openapi_alerts::schemas(),
    ) {
        s.extend(extra);
    }
    doc
}

//! The alerts and silences part of the OpenAPI document: paths and schemas
//! merged into [`super::openapi::document`]. Constraints match what
//! `alerts_api` accepts, so generated requests meet the same rules.

use serde_json::{Value, json};

use super::alerts_api::{
    API_CRON_PATTERN, MAX_COMMENT, MAX_DURATION_SECONDS, MAX_LABEL_VALUE, MAX_LABELS,
    MIN_DURATION_SECONDS,
};

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn common() -> Value {
    json!({
        "401": error("No or wrong credentials."),
        "403": error("Admin access is not configured on this server."),
        "429": error("Too many failed sign-ins from this address."),
        "503": error("The store is unavailable."),
    })
}

fn with_common(mut v: Value) -> Value {
    if let (Some(o), Value::Object(c)) = (v.as_object_mut(), common()) {
        o.extend(c);
    }
    v
}

pub fn paths() -> Value {
    json!({
        "/api/v1/alerts": { "get": {
            "operationId": "listAlerts",
            "summary": "Alert instances: firing, pending, silenced (firing, notifications held) and resolved.",
            "parameters": [ { "name": "state", "in": "query", "required": false, "description": "Only this state; all but inactive when absent.",
                "schema": { "type": "string", "enum": ["firing", "pending", "silenced", "resolved"] } } ],
            "responses": with_common(json!({
                "200": { "description": "The alerts.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertList" } } } },
                "400": error("An unknown parameter or state.")
            }))
        } },
        "/api/v1/silences": {
            "get": {
                "operationId": "listSilences",
                "summary": "Silences not expired: from the config file and made here.",
                "responses": with_common(json!({
                    "200": { "description": "The silences.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SilenceList" } } } }
                }))
            },
            "post": {
                "operationId": "createSilence",
                "summary": "Silence alerts by name and labels: once from starts_at (default now), or from each cron time, for duration_seconds.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewSilence" } } } },
                "responses": with_common(json!({
                    "201": { "description": "Created.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Silence" } } } },
                    "400": error("The body is not valid JSON."),
                    "413": { "description": "The body is too large." },
                    "415": error("The body is not `application/json`."),
                    "422": error("A field is missing or not valid.")
                }))
            }
        },
        "/api/v1/silences/{id}": { "delete": {
            "operationId": "expireSilence",
            "summary": "End a silence made here, now.",
            "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
            "responses": with_common(json!({
                "204": { "description": "Expired." },
                "404": error("No active silence with that id."),
                "409": error("The silence comes from the config file.")
            }))
        } }
    })
}

pub fn schemas() -> Value {
    let labels = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    let time = json!({ "type": "string", "format": "date-time", "nullable": true });
    json!({
        "Alert": { "type": "object",
            "required": ["fingerprint", "alertname", "severity", "state", "labels", "annotations", "value", "active_since", "fired_at", "resolved_at", "silenced_by"],
            "properties": {
                "fingerprint": { "type": "string" },
                "alertname": { "type": "string" },
                "severity": { "type": "string" },
                "state": { "type": "string", "enum": ["inactive", "pending", "firing", "resolved"] },
                "labels": labels,
                "annotations": labels,
                "value": { "type": "number" },
                "active_since": time, "fired_at": time, "resolved_at": time,
                "silenced_by": { "type": "array", "items": { "type": "string" } }
            } },
        "AlertList": { "type": "object", "required": ["alerts"], "properties": {
            "alerts": { "type": "array", "items": { "$ref": "#/components/schemas/Alert" } } } },
        "Silence": { "type": "object",
            "required": ["id", "alertname", "labels", "starts_at", "ends_at", "cron", "duration_seconds", "comment", "created_by", "source", "active", "expired"],
            "properties": {
                "id": { "type": "string" },
                "alertname": { "type": "string", "nullable": true },
                "labels": labels,
                "starts_at": time, "ends_at": time,
                "cron": { "type": "string", "nullable": true },
                "duration_seconds": { "type": "integer", "nullable": true },
                "comment": { "type": "string" },
                "created_by": { "type": "string" },
                "source": { "type": "string", "enum": ["config", "api"] },
                "active": { "type": "boolean" },
                "expired": { "type": "boolean" }
            } },
        "SilenceList": { "type": "object", "required": ["silences"], "properties": {
            "silences": { "type": "array", "items": { "$ref": "#/components/schemas/Silence" } } } },
        "NewSilence": { "type": "object", "additionalProperties": false, "required": ["duration_seconds"],
            "anyOf": [
                { "required": ["alertname"] },
                { "required": ["labels"], "properties": { "labels": { "minProperties": 1 } } }
            ],
            "properties": {
                "alertname": { "type": "string", "pattern": "^[a-z][a-z0-9_-]{0,63}$", "description": "The alert's name; absent: any alert with the labels." },
                "labels": { "type": "object", "maxProperties": MAX_LABELS,
                    "additionalProperties": { "type": "string", "maxLength": MAX_LABEL_VALUE },
                    "description": "Every label must match (check, kind, severity or a rule's own)." },
                "starts_at": { "type": "string", "format": "date-time", "description": "One-off silences: when it starts (default now). Not used with cron." },
                "cron": { "type": "string", "pattern": API_CRON_PATTERN,
                    "description": "Recurring (a maintenance window): a cron schedule with seconds, such as `0 0 2 * * Sun`." },
                "duration_seconds": { "type": "integer", "minimum": MIN_DURATION_SECONDS, "maximum": MAX_DURATION_SECONDS },
                "comment": { "type": "string", "maxLength": MAX_COMMENT }
            } }
    })
}

//! `/api/v1/feedback`: the same reports as JSON for integrations (kiosks,
//! chat bots, ticketing), authenticated like the admin pages and described
//! in `/api/openapi.json`. Every error, including a body that cannot be
//! read, is JSON with an `error` message.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Actor;
use super::error::Error;
use super::filters;
use crate::feedback::{Draft, Event, Item, Source, Status};

fn parse_id(raw: &str) -> Result<i64, Error> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| Error::BadRequest("the id must be an integer of at least 1".into()))
}

#[derive(Debug, Serialize)]
pub struct ItemList {
    items: Vec<Item>,
    /// Pass as `before` for the next page; null on the last page.
    next_before: Option<i64>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<ItemList>, Error> {
    let filter = filters::parse(q.as_deref(), &state.feedback, true)?;
    let items = state.feedback.list(&filter).await?;
    let next_before = (items.len() as i64 == filter.limit)
        .then(|| items.last().map(|i| i.id))
        .flatten();
    Ok(Json(ItemList { items, next_before }))
}

#[derive(Debug, Serialize)]
pub struct ItemWithEvents {
    #[serde(flatten)]
    item: Item,
    events: Vec<Event>,
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
) -> Result<Json<ItemWithEvents>, Error> {
    let id = parse_id(&raw)?;
    let (item, events) = state
        .feedback
        .get(id)
        .await?
        .ok_or_else(|| Error::NotFound("no report with that id".into()))?;
    Ok(Json(ItemWithEvents { item, events }))
}

/// A report sent through the API; its text is redacted like the form's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    clinic: Option<String>,
    role: String,
    category: String,
    severity: String,
    #[serde(default)]
    workaround: bool,
    #[serde(default)]
    text: String,
    contact: Option<String>,
    /// Makes retries safe: a second request with the same id stores nothing new.
    /// (Kept as given, so an explicit `null` is refused rather than read as absent.)
    #[serde(default, deserialize_with = "present")]
    submission_id: Option<serde_json::Value>,
}

/// A field that was given, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewReport>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(n) = body?;
    let submission_id = match n.submission_id {
        Some(serde_json::Value::String(s)) if valid_submission_id(&s) => s,
        Some(_) => {
            return Err(Error::Invalid(
                "submission_id must be 8 to 64 letters, digits, `-` or `_`".into(),
            ));
        }
        None => super::csrf::random_id(),
    };
    let draft = Draft {
        clinic: n.clinic,
        role: Some(n.role),
        category: Some(n.category),
        severity: Some(n.severity),
        workaround: n.workaround,
        text: n.text,
        contact: n.contact.unwrap_or_default(),
    };
    let report = state
        .feedback
        .validate(&draft)
        .map_err(|fields| Error::Fields {
            message: "the report is not valid",
            fields,
        })?;
    let stored = state
        .feedback
        .store(&report, &submission_id, Source::Api, &actor.0)
        .await?;
    let (item, _) = state
        .feedback
        .get(stored.id)
        .await?
        .ok_or(Error::Unavailable(
            "the report was stored but cannot be read back",
        ))?;
    let status = if stored.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut r = (status, Json(item)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/feedback/{}", stored.id)) {
        r.headers_mut().insert(LOCATION, v);
    }
    Ok(r)
}

pub fn valid_submission_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    to: String,
    #[serde(default)]
    note: String,
}

pub async fn transition(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<Transition>, JsonRejection>,
) -> Result<Json<Item>, Error> {
    let id = parse_id(&raw)?;
    let Json(t) = body?;
    let to = Status::parse(&t.to)
        .filter(|s| *s != Status::New)
        .ok_or_else(|| Error::Invalid("`to` must be acknowledged or resolved".into()))?;
    let item = state.feedback.transition(id, to, &t.note, &actor.0).await?;
    Ok(Json(item))
}

pub async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        state.site.openapi.clone(),
    )
        .into_response()
}

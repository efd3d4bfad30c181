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

use super::auth::Actor;
use super::error::{BodyRefusals, Error, ErrorBody, Refusals, parse_id};
use super::filters;
use super::state::AppState;
use crate::feedback::{Draft, Event, Item, Source, Status};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemList {
    items: Vec<Item>,
    /// Pass as `before` for the next page; null on the last page.
    next_before: Option<i64>,
}

/// List reports, newest first.
#[utoipa::path(get, path = "/api/v1/feedback", operation_id = "listFeedback", tag = "feedback",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of reports.", body = ItemList),
        (status = 400, description = "A filter value is not known.", body = ErrorBody),
        Refusals,
    ))]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemWithEvents {
    #[serde(flatten)]
    item: Item,
    events: Vec<Event>,
}

/// A report with its audit trail.
#[utoipa::path(get, path = "/api/v1/feedback/{id}", operation_id = "getFeedback", tag = "feedback",
    params(ReportId),
    responses(
        (status = 200, description = "The report.", body = ItemWithEvents),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 404, description = "No report with that id.", body = ErrorBody),
        Refusals,
    ))]
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
// The document's `clinic`, `role` and `category` values come from the
// config (`openapi::document`); its limits are the model's constants (a
// test holds them equal).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    #[schema(value_type = String)]
    clinic: Option<String>,
    role: String,
    category: String,
    severity: String,
    /// The reporter had to use a manual workaround.
    #[serde(default)]
    workaround: bool,
    /// Free text. Likely patient identifiers are removed before it is stored; names are not caught.
    #[serde(default)]
    #[schema(max_length = 4000)]
    text: String,
    /// How to reach the reporter: a name, e-mail, phone or extension only.
    /// Refused (422) when it holds more than six digits in a row or what the
    /// PHI guard reads as a patient identifier.
    #[schema(max_length = 200, pattern = "^[^0-9]*([0-9]{1,6}[^0-9]+)*[0-9]{0,6}$")]
    contact: Option<String>,
    /// Idempotency key: a repeated request with the same id stores nothing new and answers 200.
    // Kept as given, so an explicit `null` is refused rather than read as absent.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{8,64}$")]
    submission_id: Option<serde_json::Value>,
}

/// A field that was given, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Create a report.
#[utoipa::path(post, path = "/api/v1/feedback", operation_id = "createFeedback", tag = "feedback",
    request_body = NewReport,
    responses(
        (status = 201, description = "Stored.", body = Item,
            headers(("Location" = String, description = "The report's URL."))),
        (status = 200, description = "Stored before with the same submission_id.", body = Item,
            headers(("Location" = String, description = "The report's URL."))),
        (status = 422, description = "A field is missing or not valid; `fields` says which.", body = ErrorBody),
        BodyRefusals,
        Refusals,
    ))]
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

/// Move a report: new → acknowledged → resolved (a note is required), or reopen a resolved one (→ acknowledged).
#[utoipa::path(post, path = "/api/v1/feedback/{id}/transition", operation_id = "transitionFeedback", tag = "feedback",
    params(ReportId),
    request_body = TransitionDoc,
    responses(
        (status = 200, description = "Moved.", body = Item),
        (status = 400, description = "The id is not a positive integer, or the body is not valid JSON.", body = ErrorBody),
        (status = 404, description = "No report with that id.", body = ErrorBody),
        (status = 409, description = "The report's status does not allow that move.", body = ErrorBody),
        (status = 413, description = "The body is larger than `[feedback] max_body_bytes`."),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "The body is not valid.", body = ErrorBody),
        Refusals,
    ))]
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

/// The query of `GET /api/v1/feedback`. The handler reads the raw query
/// (to name a bad value); this is its description.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQuery {
    /// Only this clinic.
    clinic: Option<String>,
    /// Only this category.
    category: Option<String>,
    /// Only this severity.
    severity: Option<String>,
    /// Only this status.
    status: Option<String>,
    /// Only reports with (true) or without (false) a manual workaround.
    workaround: Option<bool>,
    /// Only reports with a smaller id: the `next_before` of the previous page.
    #[param(minimum = 1)]
    before: Option<i64>,
    /// Page size.
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<i64>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ReportId {
    /// The report's number.
    #[param(minimum = 1)]
    id: i64,
}

/// A transition as the document shows it: acknowledging takes an optional
/// note, resolving needs one that is not blank.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "to", rename_all = "lowercase", deny_unknown_fields)]
#[schema(as = Transition)]
#[allow(dead_code)]
pub enum TransitionDoc {
    Acknowledged {
        #[serde(default)]
        #[schema(max_length = 2000)]
        note: String,
    },
    Resolved {
        #[schema(max_length = 2000, pattern = r"[^\s\u0000-\u001f\u007f-\u009f]")]
        note: String,
    },
}

//! `/api/v1/known-issues`: known issues as JSON, authenticated like the
//! rest of `/api/v1` and described in `/api/openapi.json`.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::feedback::known::{KnownError, KnownIssue, KnownStatus, NewKnown};
use crate::web::auth::Actor;
use crate::web::error::{BodyRefusals, Error, ErrorBody, Refusals, parse_id};
use crate::web::state::AppState;

impl From<KnownError> for Error {
    fn from(e: KnownError) -> Error {
        match e {
            KnownError::Store(e) => Error::Store(e),
            KnownError::NotFound => Error::NotFound(e.to_string()),
            // A 404 would say the issue (the path) is missing; it is the store's
            // state that does not hold the report.
            KnownError::NoReport(_) => Error::Conflict(e.to_string()),
            KnownError::Conflict(m) => Error::Conflict(m),
            KnownError::Invalid(m) => Error::Invalid(m),
        }
    }
}

/// The largest report number the document allows (read exactly when sent as `12.0`).
pub const MAX_REPORT_NUMBER: i64 = i32::MAX as i64;

/// Report numbers as JSON Schema reads integers: `12` and `12.0` alike.
fn whole_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    let raw = Vec::<serde_json::Number>::deserialize(d)?;
    raw.iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_REPORT_NUMBER as f64)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| serde::de::Error::custom(format!("`{n}` is not a report number")))
        })
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KnownList {
    items: Vec<KnownIssue>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KnownQuery {
    /// Only issues affecting this clinic.
    clinic: Option<String>,
    /// Only issues in this status.
    status: Option<String>,
}

/// List known issues, newest first.
#[utoipa::path(get, path = "/api/v1/known-issues", operation_id = "listKnownIssues", tag = "known issues",
    params(KnownQuery),
    responses(
        (status = 200, description = "The known issues.", body = KnownList),
        (status = 400, description = "A filter value is not known.", body = ErrorBody),
        Refusals,
    ))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    q: Result<Query<KnownQuery>, QueryRejection>,
) -> Result<Json<KnownList>, Error> {
    let Query(q) = q.map_err(|e| Error::BadRequest(e.body_text()))?;
    let known = state.feedback.known();
    if let Some(c) = &q.clinic
        && !known.clinics().iter().any(|k| k.id.as_str() == c)
    {
        return Err(Error::BadRequest(format!(
            "`{c}` is not a configured clinic"
        )));
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            KnownStatus::parse(s)
                .ok_or_else(|| Error::BadRequest(format!("`{s}` is not a status")))?,
        ),
    };
    let items = known.list(q.clinic.as_deref(), false).await?;
    let items = items
        .into_iter()
        .filter(|i| status.is_none_or(|s| i.status == s.as_str()))
        .collect();
    Ok(Json(KnownList { items }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KnownDetailBody {
    #[serde(flatten)]
    issue: KnownIssue,
    /// The reports merged into it.
    reports: Vec<i64>,
    events: Vec<KnownEvent>,
}

/// One step of a known issue's trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KnownEvent {
    #[schema(format = DateTime)]
    at: String,
    actor: String,
    from: Option<String>,
    to: String,
    note: String,
}

/// A known issue with its merged reports and its trail.
#[utoipa::path(get, path = "/api/v1/known-issues/{id}", operation_id = "getKnownIssue", tag = "known issues",
    params(KnownId),
    responses(
        (status = 200, description = "The known issue.", body = KnownDetailBody),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 404, description = "No known issue with that id.", body = ErrorBody),
        Refusals,
    ))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
) -> Result<Json<KnownDetailBody>, Error> {
    let id = parse_id(&raw)?;
    let d = state
        .feedback
        .known()
        .get(id)
        .await?
        .ok_or_else(|| Error::NotFound("no known issue with that id".into()))?;
    Ok(Json(KnownDetailBody {
        issue: d.issue,
        reports: d.reports,
        events: d
            .events
            .into_iter()
            .map(|e| KnownEvent {
                at: e.at,
                actor: e.actor,
                from: e.from,
                to: e.to,
                note: e.note,
            })
            .collect(),
    }))
}

/// A known issue to create; title and workaround are redacted like report text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKnownIssue {
    /// Plain words, one line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\u0000-\u001f\u007f-\u009f]"
    )]
    title: String,
    /// What staff can do meanwhile.
    #[serde(default)]
    #[schema(max_length = 2000)]
    workaround: String,
    /// The clinics it affects; none: every clinic.
    #[serde(default)]
    #[schema(max_items = 100)]
    clinics: Vec<String>,
    /// The roles it affects; none: every role.
    #[serde(default)]
    #[schema(max_items = 100)]
    roles: Vec<String>,
    /// `investigating` when left out.
    status: Option<String>,
    /// The cause is a training gap.
    #[serde(default)]
    training: bool,
    /// Reports to merge into it.
    #[serde(default, deserialize_with = "whole_numbers")]
    #[schema(max_items = 200)]
    reports: Vec<i64>,
}

/// Create a known issue, optionally from reports.
#[utoipa::path(post, path = "/api/v1/known-issues", operation_id = "createKnownIssue", tag = "known issues",
    request_body = NewKnownIssue,
    responses(
        (status = 201, description = "Created.", body = KnownIssue,
            headers(("Location" = String, description = "The issue's URL."))),
        (status = 409, description = "A report does not exist or is already in another known issue.", body = ErrorBody),
        (status = 422, description = "A field is not valid.", body = ErrorBody),
        BodyRefusals,
        Refusals,
    ))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewKnownIssue>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(n) = body?;
    let new = NewKnown {
        title: n.title,
        workaround: n.workaround,
        clinics: n.clinics,
        roles: n.roles,
        status: n.status,
        training: n.training,
        reports: n.reports,
    };
    let issue = state.feedback.known().create(&new, &actor.0).await?;
    let mut r = (StatusCode::CREATED, Json(&issue)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/known-issues/{}", issue.id)) {
        r.headers_mut().insert(LOCATION, v);
    }
    Ok(r)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KnownMove {
    to: String,
    /// For the issue's trail.
    #[serde(default)]
    #[schema(max_length = 2000)]
    note: String,
}

/// Move a known issue; reaching workaround_available or fixed e-mails its reporters once.
#[utoipa::path(post, path = "/api/v1/known-issues/{id}/status", operation_id = "moveKnownIssue", tag = "known issues",
    params(KnownId),
    request_body = KnownMove,
    responses(
        (status = 200, description = "Moved.", body = KnownIssue),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 404, description = "No known issue with that id.", body = ErrorBody),
        (status = 409, description = "It is already in that status, was changed meanwhile, or has no workaround text for workaround_available.", body = ErrorBody),
        (status = 422, description = "Not a status.", body = ErrorBody),
        BodyRefusals,
        Refusals,
    ))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<KnownMove>, JsonRejection>,
) -> Result<Json<KnownIssue>, Error> {
    let id = parse_id(&raw)?;
    let Json(m) = body?;
    Ok(Json(
        state
            .feedback
            .known()
            .set_status(id, &m.to, &m.note, &actor.0)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KnownMerge {
    /// Report numbers to merge into the issue.
    #[serde(deserialize_with = "whole_numbers")]
    #[schema(min_items = 1, max_items = 200)]
    reports: Vec<i64>,
}

/// Merge reports into a known issue (each keeps its own trail).
#[utoipa::path(post, path = "/api/v1/known-issues/{id}/reports", operation_id = "mergeIntoKnownIssue", tag = "known issues",
    params(KnownId),
    request_body = KnownMerge,
    responses(
        (status = 200, description = "Merged.", body = KnownIssue),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 404, description = "No known issue with that id.", body = ErrorBody),
        (status = 409, description = "A report does not exist or is already in a known issue.", body = ErrorBody),
        (status = 422, description = "The list is empty or too long.", body = ErrorBody),
        BodyRefusals,
        Refusals,
    ))]
pub async fn merge(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<KnownMerge>, JsonRejection>,
) -> Result<Json<KnownIssue>, Error> {
    let id = parse_id(&raw)?;
    let Json(m) = body?;
    Ok(Json(
        state
            .feedback
            .known()
            .merge(id, &m.reports, &actor.0)
            .await?,
    ))
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct KnownId {
    /// The known issue's number.
    #[param(minimum = 1)]
    id: i64,
}

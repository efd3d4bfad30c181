//! `/api/v1/known-issues` changes: create, move and merge. Authenticated
//! like the rest of `/api/v1` and described in `/api/openapi.json`; every
//! text goes through the PHI guard in `feedback::known`.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::KnownId;
use crate::feedback::known::{KnownIssue, NewKnown};
use crate::web::auth::Actor;
use crate::web::error::{BodyRefusals, Error, ErrorBody, Refusals, parse_id};
use crate::web::state::AppState;

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

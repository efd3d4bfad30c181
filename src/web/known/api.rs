//! `/api/v1/known-issues`: known issues as JSON, authenticated like the
//! rest of `/api/v1` and described in `/api/openapi.json`. Reading here;
//! create, move and merge in `changes.rs`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use crate::feedback::known::{KnownError, KnownIssue, KnownStatus};
use crate::web::error::{Error, ErrorBody, Refusals, parse_id};
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

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct KnownId {
    /// The known issue's number.
    #[param(minimum = 1)]
    id: i64,
}

//! `/api/v1/alerts` and `/api/v1/silences`: alert instances (firing, pending,
//! silenced, resolved) and silences as JSON, and creating or expiring
//! silences. Authenticated like the other admin routes; described in
//! `/api/openapi.json`.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::silences::{API_CRON, NewSilence, silence_row};
use crate::alerts::{AlertView, Silence, SilenceView};
use crate::store::AlertState;
use crate::web::auth::Actor;
use crate::web::error::{BodyRefusals, Error, ErrorBody, Refusals};
use crate::web::state::AppState;

/// Which instances to list.
fn state_filter(query: Option<&str>) -> Result<Option<String>, Error> {
    let mut state = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "state" if ["firing", "pending", "silenced", "resolved"].contains(&v.as_ref()) => {
                state = Some(v.into_owned())
            }
            "state" => {
                return Err(Error::BadRequest(
                    "state must be firing, pending, silenced or resolved".into(),
                ));
            }
            other => return Err(Error::BadRequest(format!("unknown parameter `{other}`"))),
        }
    }
    Ok(state)
}

fn shown(a: &AlertView, state: Option<&str>) -> bool {
    let silenced = a.state == AlertState::Firing && !a.silenced_by.is_empty();
    match state {
        None => a.state != AlertState::Inactive,
        Some("silenced") => silenced,
        Some(s) => s.parse::<AlertState>() == Ok(a.state),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertList {
    alerts: Vec<AlertView>,
}

/// Alert instances: firing, pending, silenced (firing, notifications held) and resolved.
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "listAlerts", tag = "alerts",
    params(AlertQuery),
    responses(
        (status = 200, description = "The alerts.", body = AlertList),
        (status = 400, description = "An unknown parameter or state.", body = ErrorBody),
        Refusals,
    ))]
pub async fn list_alerts(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Json<AlertList>, Error> {
    let filter = state_filter(q.as_deref())?;
    let alerts = state
        .alerts
        .list(Utc::now())
        .await?
        .into_iter()
        .filter(|a| shown(a, filter.as_deref()))
        .collect();
    Ok(Json(AlertList { alerts }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SilenceList {
    silences: Vec<SilenceView>,
}

/// Silences not expired: from the config file and made here.
#[utoipa::path(get, path = "/api/v1/silences", operation_id = "listSilences", tag = "alerts",
    responses(
        (status = 200, description = "The silences.", body = SilenceList),
        Refusals,
    ))]
pub async fn list_silences(State(state): State<Arc<AppState>>) -> Result<Json<SilenceList>, Error> {
    let now = Utc::now();
    let silences = state.alerts.silences().await?;
    Ok(Json(SilenceList {
        silences: silences.iter().map(|s| s.view(now)).collect(),
    }))
}

/// Silence alerts by name and labels: once from starts_at (default now), or from each cron time, for duration_seconds.
#[utoipa::path(post, path = "/api/v1/silences", operation_id = "createSilence", tag = "alerts",
    request_body = NewSilence,
    responses(
        (status = 201, description = "Created.", body = SilenceView),
        (status = 422, description = "A field is missing or not valid.", body = ErrorBody),
        BodyRefusals,
        Refusals,
    ))]
pub async fn create_silence(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewSilence>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(n) = body?;
    let now = Utc::now();
    if let Some(c) = &n.cron
        && !API_CRON.as_ref().is_some_and(|r| r.is_match(c))
    {
        return Err(Error::Invalid(
            "cron: the API takes `S M H * * DAY` (such as `0 0 2 * * Sun`); the admin page and config take any schedule".into(),
        ));
    }
    let row = silence_row(&n, &actor.0, now)?;
    state.alerts.add_silence(&row).await?;
    tracing::info!(silence = %row.id, actor = %actor.0, "silence created");
    let s = Silence::from_row(&row).ok_or(Error::Unavailable(
        "the silence was stored but cannot be read back",
    ))?;
    Ok((StatusCode::CREATED, Json(s.view(now))).into_response())
}

/// End a silence made here, now.
#[utoipa::path(delete, path = "/api/v1/silences/{id}", operation_id = "expireSilence", tag = "alerts",
    params(("id" = String, Path, description = "The silence's id.")),
    responses(
        (status = 204, description = "Expired."),
        (status = 404, description = "No active silence with that id.", body = ErrorBody),
        (status = 409, description = "The silence comes from the config file.", body = ErrorBody),
        Refusals,
    ))]
pub async fn expire_silence(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    if id.starts_with("config-") {
        return Err(Error::Conflict(
            "this silence comes from the config file: change it there".into(),
        ));
    }
    if !state.alerts.expire_silence(&id, Utc::now()).await? {
        return Err(Error::NotFound("no active silence with that id".into()));
    }
    tracing::info!(silence = %id, actor = %actor.0, "silence expired");
    Ok(StatusCode::NO_CONTENT)
}

/// Which alert instances to list.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StateFilter {
    Firing,
    Pending,
    Silenced,
    Resolved,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AlertQuery {
    /// Only this state; all but inactive when absent.
    state: Option<StateFilter>,
}

//! `/api/v1/alerts` and `/api/v1/silences`: alert instances (firing, pending,
//! silenced, resolved) and silences as JSON, and creating or expiring
//! silences. Authenticated like the other admin routes; described in
//! `/api/openapi.json`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Actor;
use crate::alerts::{AlertView, Silence, SilenceView};
use crate::config::{CronSchedule, Name};
use crate::store::AlertState;
use crate::store::{SilenceRow, StoreError};

/// Longest silence, and the bounds of a label value and a comment.
pub const MAX_DURATION_SECONDS: u64 = 366 * 86_400;
pub const MIN_DURATION_SECONDS: u64 = 60;
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_VALUE: usize = 200;
pub const MAX_COMMENT: usize = 500;
/// The cron schedules the JSON API takes: seconds, minutes, hours, any day,
/// any month, any or one weekday (`0 0 2 * * Sun`). The config file and the
/// admin page take any cron schedule.
pub const API_CRON_PATTERN: &str = r"^(0|[1-5][0-9]?) (0|[1-5][0-9]?) (\*|[0-9]|1[0-9]|2[0-3]) \* \* (\*|Mon|Tue|Wed|Thu|Fri|Sat|Sun)$";

static API_CRON: std::sync::LazyLock<Option<regex::Regex>> =
    std::sync::LazyLock::new(|| regex::Regex::new(API_CRON_PATTERN).ok());

#[derive(Debug, Serialize)]
struct ApiError {
    error: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ApiError {
            error: message.into(),
        }),
    )
        .into_response()
}

fn store_down(e: StoreError) -> Response {
    tracing::error!(error = %e, "api: store unavailable");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store is unavailable; try again later",
    )
}

/// Which instances to list.
fn state_filter(query: Option<&str>) -> Result<Option<String>, String> {
    let mut state = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "state" if ["firing", "pending", "silenced", "resolved"].contains(&v.as_ref()) => {
                state = Some(v.into_owned())
            }
            "state" => return Err("state must be firing, pending, silenced or resolved".into()),
            other => return Err(format!("unknown parameter `{other}`")),
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

#[derive(Serialize)]
struct AlertList {
    alerts: Vec<AlertView>,
}

pub async fn list_alerts(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    let filter = match state_filter(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match state.alerts.list(Utc::now()).await {
        Ok(all) => {
            let alerts = all
                .into_iter()
                .filter(|a| shown(a, filter.as_deref()))
                .collect();
            Json(AlertList { alerts }).into_response()
        }
        Err(e) => store_down(e),
    }
}

#[derive(Serialize)]
struct SilenceList {
    silences: Vec<SilenceView>,
}

pub async fn list_silences(State(state): State<Arc<AppState>>) -> Response {
    let now = Utc::now();
    match state.alerts.silences().await {
        Ok(s) => Json(SilenceList {
            silences: s.iter().map(|s| s.view(now)).collect(),
        })
        .into_response(),
        Err(e) => store_down(e),
    }
}

/// A silence to create: one-off from `starts_at` (default now), or
/// recurring from each `cron` time, for `duration_seconds` each time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    #[serde(default, deserialize_with = "not_null")]
    pub alertname: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "not_null")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "not_null")]
    pub cron: Option<String>,
    pub duration_seconds: u64,
    #[serde(default)]
    pub comment: String,
}

/// An optional field that, when given, must not be `null` (absent means default).
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks a new silence and makes its row; the message says what is wrong.
pub fn silence_row(n: &NewSilence, actor: &str, now: DateTime<Utc>) -> Result<SilenceRow, String> {
    if let Some(a) = &n.alertname {
        Name::parse(a).map_err(|e| format!("alertname: {e}"))?;
    }
    if n.alertname.is_none() && n.labels.is_empty() {
        return Err("give an alertname or labels: a silence of everything is refused".into());
    }
    if n.labels.len() > MAX_LABELS
        || n.labels
            .values()
            .any(|v| v.chars().count() > MAX_LABEL_VALUE)
    {
        return Err(format!(
            "at most {MAX_LABELS} labels of at most {MAX_LABEL_VALUE} characters each"
        ));
    }
    if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&n.duration_seconds) {
        return Err(format!(
            "duration_seconds must be from {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS}"
        ));
    }
    if n.comment.chars().count() > MAX_COMMENT {
        return Err(format!("comment: at most {MAX_COMMENT} characters"));
    }
    let duration_ms = (n.duration_seconds * 1000) as i64;
    let (starts_ms, ends_ms, cron, dur) = match &n.cron {
        Some(c) => {
            c.parse::<CronSchedule>()
                .map_err(|e| format!("cron: {e}"))?;
            (None, None, Some(c.clone()), Some(duration_ms))
        }
        None => {
            let starts = n.starts_at.unwrap_or(now).timestamp_millis();
            (
                Some(starts),
                Some(starts.saturating_add(duration_ms)),
                None,
                None,
            )
        }
    };
    Ok(SilenceRow {
        id: super::csrf::random_id(),
        alertname: n.alertname.clone(),
        matchers: serde_json::to_string(&n.labels).map_err(|e| e.to_string())?,
        starts_ms,
        ends_ms,
        cron,
        duration_ms: dur,
        comment: n.comment.clone(),
        created_by: actor.to_string(),
        created_ms: now.timestamp_millis(),
        expired_ms: None,
    })
}

pub async fn create_silence(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewSilence>, JsonRejection>,
) -> Response {
    let n = match body {
        Ok(Json(n)) => n,
        Err(e) => return error(e.status(), e.body_text()),
    };
    let now = Utc::now();
    if let Some(c) = &n.cron
        && !API_CRON.as_ref().is_some_and(|r| r.is_match(c))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cron: the API takes `S M H * * DAY` (such as `0 0 2 * * Sun`); the admin page and config take any schedule",
        );
    }
    let row = match silence_row(&n, &actor.0, now) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    if let Err(e) = state.alerts.add_silence(&row).await {
        return store_down(e);
    }
    tracing::info!(silence = %row.id, actor = %actor.0, "silence created");
    match Silence::from_row(&row) {
        Some(s) => (StatusCode::CREATED, Json(s.view(now))).into_response(),
        None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the silence was stored but cannot be read back",
        ),
    }
}

pub async fn expire_silence(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    if id.starts_with("config-") {
        return error(
            StatusCode::CONFLICT,
            "this silence comes from the config file: change it there",
        );
    }
    match state.alerts.expire_silence(&id, Utc::now()).await {
        Ok(true) => {
            tracing::info!(silence = %id, actor = %actor.0, "silence expired");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(StatusCode::NOT_FOUND, "no active silence with that id"),
        Err(e) => store_down(e),
    }
}

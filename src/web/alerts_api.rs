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
use super::error::{Error, ErrorBody, Refusals};
use crate::alerts::{AlertView, Silence, SilenceView};
use crate::config::{CronSchedule, Name};
use crate::store::{AlertState, SilenceRow};

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

/// A silence to create: one-off from `starts_at` (default now), or
/// recurring from each `cron` time, for `duration_seconds` each time.
//
// The document adds what a derive cannot say (alertname or labels are
// required; how many labels and how long): see `openapi::document`. Its
// numbers are the constants above (a test holds them equal).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    /// The alert's name; absent: any alert with the labels.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = "^[a-z][a-z0-9_-]{0,63}$")]
    pub alertname: Option<String>,
    /// Every label must match (check, kind, severity or a rule's own).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// One-off silences: when it starts (default now). Not used with cron.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Recurring (a maintenance window): a cron schedule with seconds, such as `0 0 2 * * Sun`.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = r"^(0|[1-5][0-9]?) (0|[1-5][0-9]?) (\*|[0-9]|1[0-9]|2[0-3]) \* \* (\*|Mon|Tue|Wed|Thu|Fri|Sat|Sun)$")]
    pub cron: Option<String>,
    #[serde(deserialize_with = "whole_number")]
    #[schema(minimum = 60, maximum = 31622400)]
    pub duration_seconds: u64,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
}

/// A count of seconds: JSON has one number type, so `3600.0` is 3600 too
/// (as the document's `integer` says); a fraction or a negative is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
                .map(|f| f as u64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number of seconds")))
}

/// An optional field that, when given, must not be `null` (absent means default).
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks a new silence and makes its row; the message says what is wrong.
pub fn silence_row(n: &NewSilence, actor: &str, now: DateTime<Utc>) -> Result<SilenceRow, Error> {
    let invalid = |why: String| Error::Invalid(why);
    if let Some(a) = &n.alertname {
        Name::parse(a).map_err(|e| invalid(format!("alertname: {e}")))?;
    }
    if n.alertname.is_none() && n.labels.is_empty() {
        return Err(invalid(
            "give an alertname or labels: a silence of everything is refused".into(),
        ));
    }
    if n.labels.len() > MAX_LABELS
        || n.labels
            .values()
            .any(|v| v.chars().count() > MAX_LABEL_VALUE)
    {
        return Err(invalid(format!(
            "at most {MAX_LABELS} labels of at most {MAX_LABEL_VALUE} characters each"
        )));
    }
    if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&n.duration_seconds) {
        return Err(invalid(format!(
            "duration_seconds must be from {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS}"
        )));
    }
    if n.comment.chars().count() > MAX_COMMENT {
        return Err(invalid(format!(
            "comment: at most {MAX_COMMENT} characters"
        )));
    }
    let duration_ms = (n.duration_seconds * 1000) as i64;
    let (starts_ms, ends_ms, cron, dur) = match &n.cron {
        Some(c) => {
            c.parse::<CronSchedule>()
                .map_err(|e| invalid(format!("cron: {e}")))?;
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
        // A map of strings always serializes.
        matchers: serde_json::to_string(&n.labels).unwrap_or_default(),
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

/// Silence alerts by name and labels: once from starts_at (default now), or from each cron time, for duration_seconds.
#[utoipa::path(post, path = "/api/v1/silences", operation_id = "createSilence", tag = "alerts",
    request_body = NewSilence,
    responses(
        (status = 201, description = "Created.", body = SilenceView),
        (status = 400, description = "The body is not valid JSON.", body = ErrorBody),
        (status = 413, description = "The body is too large."),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "A field is missing or not valid.", body = ErrorBody),
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

//! `/admin/alerts`: firing, pending, silenced and recently resolved alerts,
//! the silences in force, and forms to create or expire a silence (CSRF
//! protected like the triage forms). No PHI: alerts carry config names and
//! counts only.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::html;
use serde::Deserialize;

use super::silences::{NewSilence, silence_row};
use super::view::{alert_table, new_silence_form, silence_table};
use crate::alerts::{AlertView, SilenceView};
use crate::store::AlertState;
use crate::web::auth::Actor;
use crate::web::error::Error;
use crate::web::page::{frame, message_page};
use crate::web::state::AppState;

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let now = Utc::now();
    let (alerts, silences) = match (state.alerts.list(now).await, state.alerts.silences().await) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "admin alerts: store unavailable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                message_page(
                    "Store unavailable",
                    "The store did not answer; try again in a minute.",
                ),
            )
                .into_response();
        }
    };
    let (token, cookie) = state
        .site
        .csrf
        .token_for_actor(headers, actor, now.timestamp_millis());
    let pick = |f: &dyn Fn(&AlertView) -> bool| alerts.iter().filter(|a| f(a)).collect::<Vec<_>>();
    let firing = pick(&|a| a.state == AlertState::Firing && a.silenced_by.is_empty());
    let silenced = pick(&|a| a.state == AlertState::Firing && !a.silenced_by.is_empty());
    let pending = pick(&|a| a.state == AlertState::Pending);
    let resolved = pick(&|a| a.state == AlertState::Resolved);
    let views: Vec<SilenceView> = silences.iter().map(|s| s.view(now)).collect();
    let body = frame(
        "Alerts",
        true,
        html! {
            h1 { "Alerts" }
            p.lead { "Firing " strong { (firing.len()) } " · pending " strong { (pending.len()) } " · silenced " strong { (silenced.len()) }
                " · " a href="/api/v1/alerts" { "as JSON" } " · " a href="/admin/feedback" { "staff feedback" } }
            (alert_table("Firing", &firing))
            (alert_table("Pending", &pending))
            (alert_table("Silenced (firing, notifications held)", &silenced))
            (alert_table("Resolved", &resolved))
            (silence_table(&views, &token))
            (new_silence_form(&token, error))
        },
    );
    let mut r = (status, body).into_response();
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
) -> Response {
    page(&state, &headers, &actor.0, None, StatusCode::OK).await
}

fn back() -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(LOCATION, HeaderValue::from_static("/admin/alerts"));
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct SilenceForm {
    alertname: Option<String>,
    labels: Option<String>,
    duration: Option<String>,
    starts_at: Option<String>,
    cron: Option<String>,
    comment: Option<String>,
    csrf: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The form's fields as a new silence, or what is wrong with them.
fn parse_form(f: &SilenceForm) -> Result<NewSilence, Error> {
    let invalid = |why: String| Error::Invalid(why);
    let mut labels = BTreeMap::new();
    for pair in given(&f.labels)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid(format!("labels: `{pair}` is not name=value")))?;
        labels.insert(k.trim().to_string(), v.trim().to_string());
    }
    let duration =
        given(&f.duration).ok_or_else(|| invalid("give a duration, such as 2h".into()))?;
    let duration =
        humantime::parse_duration(&duration).map_err(|e| invalid(format!("duration: {e}")))?;
    let starts_at = match given(&f.starts_at) {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(&s)
                .map_err(|_| invalid("starts: use a time such as 2026-12-01T22:00:00Z".into()))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    Ok(NewSilence {
        alertname: given(&f.alertname),
        labels,
        starts_at,
        cron: given(&f.cron),
        duration_seconds: duration.as_secs(),
        comment: given(&f.comment).unwrap_or_default(),
    })
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Result<Form<SilenceForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = body else {
        return page(
            &state,
            &headers,
            &actor.0,
            Some("The form could not be read."),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let now = Utc::now();
    if let Err(e) = state.site.csrf.verify_actor(
        &headers,
        f.csrf.as_deref(),
        &actor.0,
        now.timestamp_millis(),
    ) {
        return page(
            &state,
            &headers,
            &actor.0,
            Some(&format!("Not saved: {e}. Try again from this page.")),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let row = match parse_form(&f).and_then(|n| silence_row(&n, &actor.0, now)) {
        Ok(r) => r,
        Err(e) => {
            return page(
                &state,
                &headers,
                &actor.0,
                Some(&format!("Not saved: {e}.")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match state.alerts.add_silence(&row).await {
        Ok(()) => back(),
        Err(e) => {
            tracing::error!(error = %e, "admin alerts: store unavailable");
            page(
                &state,
                &headers,
                &actor.0,
                Some("Not saved: the store is unavailable."),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExpireForm {
    csrf: Option<String>,
}

pub async fn expire(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Result<Form<ExpireForm>, FormRejection>,
) -> Response {
    let csrf = body.ok().and_then(|Form(f)| f.csrf);
    let now = Utc::now();
    if let Err(e) =
        state
            .site
            .csrf
            .verify_actor(&headers, csrf.as_deref(), &actor.0, now.timestamp_millis())
    {
        return page(
            &state,
            &headers,
            &actor.0,
            Some(&format!("Not expired: {e}.")),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    match state.alerts.expire_silence(&id, now).await {
        Ok(true) => back(),
        Ok(false) => {
            page(
                &state,
                &headers,
                &actor.0,
                Some("No active silence with that id."),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(_) => {
            page(
                &state,
                &headers,
                &actor.0,
                Some("The store is unavailable."),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
    }
}

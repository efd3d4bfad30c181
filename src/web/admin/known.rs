//! `/admin/known`: triage makes known issues from reports, merges more
//! reports into them and moves their status (CSRF-protected like the
//! report forms). Clinics and roles are checkboxes, so the body is read as
//! repeated form fields.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::known_view::{self, Typed};
use crate::feedback::known::{KnownError, NewKnown};
use crate::web::auth::Actor;
use crate::web::error::{Error, parse_id};
use crate::web::page::message_page;
use crate::web::state::AppState;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Every value of a urlencoded body, in order.
fn fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn one(f: &[(String, String)], name: &str) -> String {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn all(f: &[(String, String)], name: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// "12, #15 17" → [12, 15, 17]; a word that is not a number is named.
fn report_numbers(text: &str) -> Result<Vec<i64>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(|w| w.trim().trim_start_matches('#'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.parse::<i64>()
                .map_err(|_| format!("`{w}` is not a report number"))
        })
        .collect()
}

fn with_cookie(mut r: Response, cookie: Option<String>) -> Response {
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

async fn list_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &str,
    typed: Typed,
    status: StatusCode,
) -> Response {
    let known = state.feedback.known();
    let issues = match known.list(None, false).await {
        Ok(i) => i,
        Err(e) => return Error::Store(e).page("Store unavailable"),
    };
    let (token, cookie) = state.site.csrf.token_for_actor(headers, actor, now_ms());
    with_cookie(
        (status, known_view::list(known, &issues, &token, &typed)).into_response(),
        cookie,
    )
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    // `?reports=12` from a report's page prefills the form.
    let reports = q
        .as_deref()
        .map(|q| fields(q.as_bytes()))
        .map(|f| one(&f, "reports"))
        .unwrap_or_default();
    let typed = Typed {
        reports,
        ..Typed::default()
    };
    list_page(&state, &headers, &actor.0, typed, StatusCode::OK).await
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let typed = Typed {
        title: one(&f, "title"),
        workaround: one(&f, "workaround"),
        reports: one(&f, "reports"),
        error: None,
    };
    match try_create(&state, &headers, &actor.0, &f, &typed).await {
        Ok(id) => see_other(&format!("/admin/known/{id}?changed=1")),
        Err((e, status)) => {
            let typed = Typed {
                error: Some(e),
                ..typed
            };
            list_page(&state, &headers, &actor.0, typed, status).await
        }
    }
}

async fn try_create(
    state: &AppState,
    headers: &HeaderMap,
    actor: &str,
    f: &[(String, String)],
    typed: &Typed,
) -> Result<i64, (String, StatusCode)> {
    if let Err(e) = state
        .site
        .csrf
        .verify_actor(headers, Some(&one(f, "csrf")), actor, now_ms())
    {
        return Err((
            format!("Not saved: {e}. Try again from this page."),
            StatusCode::FORBIDDEN,
        ));
    }
    let reports = report_numbers(&typed.reports)
        .map_err(|e| (format!("Not saved: {e}."), StatusCode::UNPROCESSABLE_ENTITY))?;
    let new = NewKnown {
        title: typed.title.clone(),
        workaround: typed.workaround.clone(),
        clinics: all(f, "clinics"),
        roles: all(f, "roles"),
        status: Some(one(f, "status")),
        training: !one(f, "training").is_empty(),
        reports,
    };
    match state.feedback.known().create(&new, actor).await {
        Ok(issue) => Ok(issue.id),
        Err(e) => {
            let e = Error::from(e);
            Err((format!("Not saved: {e}."), e.status()))
        }
    }
}

async fn detail_page(
    state: &AppState,
    raw_id: &str,
    headers: &HeaderMap,
    actor: &str,
    note: Option<String>,
    status: StatusCode,
) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            message_page("Not found", "There is no known issue with that number."),
        )
            .into_response()
    };
    let Ok(id) = parse_id(raw_id) else {
        return not_found();
    };
    let known = state.feedback.known();
    let d = match known.get(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(),
        Err(e) => return Error::Store(e).page("Store unavailable"),
    };
    let (token, cookie) = state.site.csrf.token_for_actor(headers, actor, now_ms());
    with_cookie(
        (
            status,
            known_view::detail(known, &d, &token, note.as_deref()),
        )
            .into_response(),
        cookie,
    )
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let note = q
        .as_deref()
        .is_some_and(|q| q.contains("changed=1"))
        .then(|| "Saved.".to_string());
    detail_page(&state, &raw_id, &headers, &actor.0, note, StatusCode::OK).await
}

/// Runs a change posted from the detail page, then shows the page again.
async fn change(
    state: &AppState,
    raw_id: &str,
    headers: &HeaderMap,
    actor: &str,
    f: &[(String, String)],
    run: impl AsyncFnOnce(i64) -> Result<(), KnownError>,
) -> Response {
    if let Err(e) = state
        .site
        .csrf
        .verify_actor(headers, Some(&one(f, "csrf")), actor, now_ms())
    {
        let m = format!("Not changed: {e}. Try again from this page.");
        return detail_page(
            state,
            raw_id,
            headers,
            actor,
            Some(m),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Ok(id) = parse_id(raw_id) else {
        return detail_page(state, raw_id, headers, actor, None, StatusCode::NOT_FOUND).await;
    };
    match run(id).await {
        Ok(()) => see_other(&format!("/admin/known/{id}?changed=1")),
        Err(e) => {
            let e = Error::from(e);
            let status = e.status();
            detail_page(
                state,
                raw_id,
                headers,
                actor,
                Some(format!("Not changed: {e}.")),
                status,
            )
            .await
        }
    }
}

pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let (to, note) = (one(&f, "to"), one(&f, "note"));
    let known = state.feedback.known();
    change(&state, &raw_id, &headers, &actor.0, &f, async |id| {
        known.set_status(id, &to, &note, &actor.0).await.map(|_| ())
    })
    .await
}

pub async fn merge(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let known = state.feedback.known();
    change(&state, &raw_id, &headers, &actor.0, &f, async |id| {
        let reports = report_numbers(&one(&f, "reports")).map_err(KnownError::Invalid)?;
        known.merge(id, &reports, &actor.0).await.map(|_| ())
    })
    .await
}

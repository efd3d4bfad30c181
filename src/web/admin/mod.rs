//! `/admin/feedback`: triage for the command center (authenticated by
//! `auth::require_admin`). Lists and filters reports, shows one with its
//! audit trail, moves it new → acknowledged → resolved with a note, and
//! exports CSV. Every value is escaped by maud; the CSV guards against
//! formula injection.

mod csv;
pub mod duplicates;
pub mod known;
mod known_view;
mod view;

use std::sync::Arc;

use axum::Extension;
use axum::Form;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::feedback::{Status, TransitionError};
use crate::store::StoreError;
use crate::web::auth::Actor;
use crate::web::error::{Error, parse_id};
use crate::web::filters;
use crate::web::page::message_page;
use crate::web::state::AppState;
use view::{DetailView, detail_page, list_page};

/// The largest CSV export, in reports.
const MAX_EXPORT: usize = 100_000;

fn store_down(e: StoreError) -> Response {
    Error::Store(e).page("Store unavailable")
}

fn bad_filter(e: Error) -> Response {
    e.page("Filter not understood")
}

pub async fn list(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let fb = &state.feedback;
    let filter = match filters::parse(query.as_deref(), fb, false) {
        Ok(f) => f,
        Err(e) => return bad_filter(e),
    };
    let items = match fb.list(&filter).await {
        Ok(i) => i,
        Err(e) => return store_down(e),
    };
    let open = fb.open_counts().await.unwrap_or_default();
    list_page(fb, &filter, &items, &open).into_response()
}

pub async fn export(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let fb = &state.feedback;
    let mut filter = match filters::parse(query.as_deref(), fb, false) {
        Ok(f) => f,
        Err(e) => return bad_filter(e),
    };
    filter.limit = filters::MAX_LIMIT;
    // The first page decides the status: a store that is down is a 503.
    let first = match fb.list(&filter).await {
        Ok(p) => p,
        Err(e) => return store_down(e),
    };
    let body = Body::from_stream(csv::stream(fb.clone(), filter, first, MAX_EXPORT));
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"hypercare-feedback.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let changed = query.as_deref().is_some_and(|q| q.contains("changed=1"));
    show(
        &state,
        &raw_id,
        &headers,
        &actor.0,
        DetailView {
            changed,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    raw_id: &str,
    headers: &HeaderMap,
    actor: &str,
    mut view: DetailView,
    status: StatusCode,
) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            message_page("Not found", "There is no report with that number."),
        )
            .into_response()
    };
    // A path id that is not a positive integer: no such report.
    let Ok(id) = parse_id(raw_id) else {
        return not_found();
    };
    let (item, events) = match state.feedback.get(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(e) => return store_down(e),
    };
    let now = chrono::Utc::now().timestamp_millis();
    let (token, cookie) = state.site.csrf.token_for_actor(headers, actor, now);
    view.csrf = token;
    let mut r = (status, detail_page(&state.feedback, &item, &events, &view)).into_response();
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct Move {
    to: Option<String>,
    note: Option<String>,
    csrf: Option<String>,
}

pub async fn change_status(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Result<Form<Move>, FormRejection>,
) -> Response {
    let Ok(Form(m)) = body else {
        return (
            StatusCode::BAD_REQUEST,
            message_page("Not understood", "The form could not be read."),
        )
            .into_response();
    };
    let note = m.note.unwrap_or_default();
    let view = |error: String| DetailView {
        error: Some(error),
        note: note.clone(),
        ..Default::default()
    };
    let now = chrono::Utc::now().timestamp_millis();
    if let Err(e) = state
        .site
        .csrf
        .verify_actor(&headers, m.csrf.as_deref(), &actor.0, now)
    {
        let v = view(format!("Not changed: {e}. Try again from this page."));
        return show(
            &state,
            &raw_id,
            &headers,
            &actor.0,
            v,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Some(to) = m.to.as_deref().and_then(Status::parse) else {
        return show(
            &state,
            &raw_id,
            &headers,
            &actor.0,
            view("Choose a status.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Ok(id) = parse_id(&raw_id) else {
        return show(
            &state,
            &raw_id,
            &headers,
            &actor.0,
            DetailView::default(),
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    match state.feedback.transition(id, to, &note, &actor.0).await {
        Ok(_) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/admin/feedback/{id}?changed=1")) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        Err(TransitionError::Store(e)) => store_down(e),
        Err(e) => {
            let e = Error::from(e);
            let v = view(format!("Not changed: {e}."));
            show(&state, &raw_id, &headers, &actor.0, v, e.status()).await
        }
    }
}

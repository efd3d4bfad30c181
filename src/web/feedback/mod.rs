//! `/feedback`: the staff form (GET) and its submission (POST).
//!
//! A POST is checked in this order: rate limit, CSRF, validation, the PHI
//! guard, then the store. Whatever stops it, the form comes back with what
//! the reporter typed (from the request, in this response only) and a
//! message saying what to do. The thank-you page is shown only once the
//! report is committed.

mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::feedback::{Draft, Feedback, Rejection, Source};
use crate::store::StoreError;
use crate::web::api::valid_submission_id;
use crate::web::client::{Peer, client_ip};
use crate::web::csrf;
use crate::web::known::view as known_view;
use crate::web::page::message_page;
use crate::web::state::AppState;
use view::{FormView, render, thanks};

/// `?clinic=north&role=nurse`: presets, so each clinic can bookmark its own form.
#[derive(Debug, Default, Deserialize)]
pub struct Preset {
    clinic: Option<String>,
    role: Option<String>,
    /// The known issue just tapped (back from `/known/{id}/tap`).
    tapped: Option<String>,
}

/// The posted form, every field optional so a bad one is named, not refused whole.
#[derive(Debug, Default, Deserialize)]
pub struct Posted {
    clinic: Option<String>,
    role: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    workaround: Option<String>,
    text: Option<String>,
    contact: Option<String>,
    csrf: Option<String>,
    submission_id: Option<String>,
    phi_ack: Option<String>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub async fn form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    preset: Result<Query<Preset>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let preset = preset.map(|q| q.0).unwrap_or_default();
    let fb = &state.feedback;
    let known_clinic = preset
        .clinic
        .filter(|c| fb.clinics().iter().any(|k| k.id.as_str() == c));
    let known_role = preset.role.filter(|r| fb.config().role(r).is_some());
    let (token, cookie) = state.site.csrf.token_for(&headers, now_ms());
    let tapped = preset.tapped.and_then(|t| t.parse().ok());
    let known = known_block(
        fb,
        known_clinic.as_deref(),
        known_role.as_deref(),
        &token,
        tapped,
    )
    .await;
    let draft = Draft {
        clinic: known_clinic,
        role: known_role,
        ..Draft::default()
    };
    let view = FormView {
        feedback: fb,
        draft,
        errors: Vec::new(),
        warning: None,
        notice: None,
        csrf: token,
        submission_id: csrf::random_id(),
        known,
    };
    respond(StatusCode::OK, render(&view), cookie)
}

/// The clinic's known issues for this role, with their taps; nothing when
/// the form names no clinic (and clinics exist) or the store does not answer:
/// the form itself must still work.
async fn known_block(
    fb: &Feedback,
    clinic: Option<&str>,
    role: Option<&str>,
    csrf: &str,
    tapped: Option<i64>,
) -> maud::Markup {
    if clinic.is_none() && !fb.clinics().is_empty() {
        return maud::html! {};
    }
    match fb.known().for_staff(clinic, role).await {
        Ok(issues) => {
            let t = known_view::TapContext {
                csrf,
                clinic,
                role,
                tapped,
            };
            known_view::form_block(&issues, &t)
        }
        Err(e) => {
            tracing::warn!(error = %e, "feedback form: known issues not shown, the store did not answer");
            maud::html! {}
        }
    }
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Form<Posted>, FormRejection>,
) -> Response {
    let posted = match body {
        Ok(Form(p)) => p,
        Err(e) => return unreadable(e),
    };
    let (fb, site) = (&state.feedback, &state.site);
    let now = now_ms();
    let (token, cookie) = site.csrf.token_for(&headers, now);
    let (csrf_field, phi_ack) = (posted.csrf.clone(), posted.phi_ack.is_some());
    let mut view = posted_view(fb, posted, token);
    if let Err(wait) = site
        .submissions
        .check(client_ip(peer, &headers, &site.auth))
    {
        return rate_limited(&mut view, wait, cookie);
    }
    if let Err(e) = site.csrf.verify(&headers, csrf_field.as_deref(), now) {
        return csrf_refused(&state, &mut view, &e.to_string(), now);
    }
    let report = match fb.validate(&view.draft) {
        Ok(r) => r,
        Err(errors) => {
            count(fb, Rejection::Invalid);
            view.errors = errors;
            return respond(StatusCode::UNPROCESSABLE_ENTITY, render(&view), cookie);
        }
    };
    let found = fb.guard().scan(&report.text);
    if !phi_ack && !found.is_empty() {
        if let Some(m) = fb.metrics() {
            m.count_phi_warning();
        }
        view.warning = Some((report.text.clone(), found));
        return respond(StatusCode::UNPROCESSABLE_ENTITY, render(&view), cookie);
    }
    match fb
        .store(&report, &view.submission_id, Source::Form, "reporter")
        .await
    {
        Ok(stored) => {
            let clinic = report.clinic.as_ref().map(|c| c.as_str());
            let again = again_link(clinic, report.role.as_str());
            let page = thanks(stored.id, &stored.redacted, &again);
            respond(StatusCode::OK, page, cookie)
        }
        Err(e) => store_failed(&state, &mut view, &e, cookie),
    }
}

fn count(fb: &Feedback, why: Rejection) {
    if let Some(m) = fb.metrics() {
        m.count_rejection(why);
    }
}

/// The form as posted, to show again whatever stops it.
fn posted_view(fb: &Feedback, posted: Posted, csrf: String) -> FormView<'_> {
    let draft = Draft {
        clinic: posted.clinic,
        role: posted.role,
        category: posted.category,
        severity: posted.severity,
        workaround: posted.workaround.is_some(),
        text: posted.text.unwrap_or_default(),
        contact: posted.contact.unwrap_or_default(),
    };
    let submission_id = posted
        .submission_id
        .filter(|s| valid_submission_id(s))
        .unwrap_or_else(csrf::random_id);
    FormView {
        feedback: fb,
        draft,
        errors: Vec::new(),
        warning: None,
        notice: None,
        csrf,
        submission_id,
        known: maud::html! {},
    }
}

fn rate_limited(view: &mut FormView, wait: Duration, cookie: Option<String>) -> Response {
    count(view.feedback, Rejection::RateLimited);
    let secs = wait.as_secs().max(1);
    view.notice = Some(format!(
        "Several reports came from this device in the last minute. Wait {secs} seconds, then send it again: your text is still here."
    ));
    let mut r = respond(StatusCode::TOO_MANY_REQUESTS, render(view), cookie);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(RETRY_AFTER, v);
    }
    r
}

fn csrf_refused(state: &AppState, view: &mut FormView, why: &str, now: i64) -> Response {
    count(view.feedback, Rejection::Csrf);
    tracing::info!(reason = %why, "feedback form refused: CSRF check failed");
    view.notice = Some(format!(
        "{}. Check your text below and send it again.",
        capitalise(why)
    ));
    // A fresh pair, so the next attempt can pass.
    let fresh = state.site.csrf.issue(now);
    let cookie = state.site.csrf.cookie(&fresh);
    view.csrf = fresh;
    respond(StatusCode::FORBIDDEN, render(view), Some(cookie))
}

fn store_failed(
    state: &AppState,
    view: &mut FormView,
    e: &StoreError,
    cookie: Option<String>,
) -> Response {
    count(view.feedback, Rejection::StoreError);
    state.metrics.count_store_error("insert_feedback");
    tracing::error!(error = %e, "cannot store a feedback report");
    view.notice = Some(
        "We could not save your report just now. Your text is still here: please try \
         again in a minute. If it keeps failing, tell the command center by phone."
            .into(),
    );
    respond(StatusCode::SERVICE_UNAVAILABLE, render(view), cookie)
}

fn respond(status: StatusCode, body: maud::Markup, cookie: Option<String>) -> Response {
    let mut r = (status, body).into_response();
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// A body that could not be read at all (wrong type, too large, bad encoding).
fn unreadable(e: FormRejection) -> Response {
    let status = e.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "Your report is too long to send. Shorten the text and send it again."
    } else {
        "The form could not be read. Open the form again and send it from there."
    };
    (status, message_page("Report not sent", message)).into_response()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// The form again, with the same clinic and role preset.
fn again_link(clinic: Option<&str>, role: &str) -> String {
    match clinic {
        Some(c) => format!("/feedback?clinic={c}&role={role}"),
        None => format!("/feedback?role={role}"),
    }
}

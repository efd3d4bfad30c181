//! What staff see of known issues: `/known?clinic=ID` (read-only, for a
//! bookmark or a break-room screen) and the "this affects me too" tap
//! posted from the form. A tap is committed to the store before the
//! browser is sent back to the form with "counted".

pub mod api;
pub mod changes;
pub mod doc;
pub mod view;

use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::feedback::model::NO_CLINIC;
use crate::store::Tapped;
use crate::web::api::valid_submission_id;
use crate::web::client::{Peer, client_ip};
use crate::web::page::message_page;
use crate::web::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Which {
    clinic: Option<String>,
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    which: Result<Query<Which>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let known = state.feedback.known();
    let asked = which.ok().and_then(|q| q.0.clinic);
    let clinics = known.clinics();
    let clinic = clinics
        .iter()
        .find(|c| Some(c.id.as_str()) == asked.as_deref());
    if clinic.is_none() && !clinics.is_empty() {
        return view::chooser(clinics).into_response();
    }
    match known.for_staff(clinic.map(|c| c.id.as_str()), None).await {
        Ok(issues) => {
            let now = chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string();
            view::wall(clinic, &issues, &now).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "known issues page: store unavailable");
            let body = message_page(
                "Known problems",
                "The list cannot be read just now; this page tries again in a minute.",
            );
            (StatusCode::SERVICE_UNAVAILABLE, [("refresh", "60")], body).into_response()
        }
    }
}

/// The tap as posted by the form's block.
#[derive(Debug, Default, Deserialize)]
pub struct TapForm {
    csrf: Option<String>,
    tap_id: Option<String>,
    clinic: Option<String>,
    role: Option<String>,
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, message_page("Not counted", message)).into_response()
}

pub async fn tap(
    State(state): State<Arc<AppState>>,
    Path(raw_id): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Form<TapForm>, FormRejection>,
) -> Response {
    let Ok(Form(t)) = body else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The tap could not be read. Open the form again and tap there.",
        );
    };
    let site = &state.site;
    if site
        .submissions
        .check(client_ip(peer, &headers, &site.auth))
        .is_err()
    {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Several taps came from this device in the last minute. Wait a minute, then tap again.",
        );
    }
    let now = chrono::Utc::now().timestamp_millis();
    if let Err(e) = site.csrf.verify(&headers, t.csrf.as_deref(), now) {
        return refused(
            StatusCode::FORBIDDEN,
            &format!("Not counted: {e}. Open the form again and tap there."),
        );
    }
    let known = state.feedback.known();
    let Some(id) = raw_id.parse::<i64>().ok().filter(|i| *i >= 1) else {
        return refused(
            StatusCode::NOT_FOUND,
            "There is no known problem with that number.",
        );
    };
    let Some(tap_id) = t.tap_id.filter(|s| valid_submission_id(s)) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The tap could not be read. Open the form again and tap there.",
        );
    };
    // Only configured names reach the store and the metric labels.
    let clinic = t
        .clinic
        .filter(|c| known.clinics().iter().any(|k| k.id.as_str() == c));
    let role = t.role.filter(|r| known.config().role(r).is_some());
    let stored_role = role.as_deref().unwrap_or(NO_CLINIC);
    match known.tap(id, &tap_id, clinic.as_deref(), stored_role).await {
        Ok(Tapped::NoSuchIssue) => refused(
            StatusCode::NOT_FOUND,
            "There is no known problem with that number.",
        ),
        Ok(Tapped::New | Tapped::Again) => back_to_form(clinic.as_deref(), role.as_deref(), id),
        Err(e) => {
            state.metrics.count_store_error("insert_tap");
            tracing::error!(error = %e, "cannot store a known-issue tap");
            refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "We could not count your tap just now. Please tap again in a minute.",
            )
        }
    }
}

/// 303 to the form it came from, saying the tap was counted.
fn back_to_form(clinic: Option<&str>, role: Option<&str>, id: i64) -> Response {
    let mut q = Vec::new();
    if let Some(c) = clinic {
        q.push(format!("clinic={c}"));
    }
    if let Some(r) = role {
        q.push(format!("role={r}"));
    }
    q.push(format!("tapped={id}"));
    let to = format!("/feedback?{}#known-{id}", q.join("&"));
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

//! One error for every handler: a status and a message fit to show. The
//! JSON API answers it as `{"error": …, "fields": […]}`; the pages people
//! read show it as a page ([`Error::page`]). A store failure is logged
//! with its cause and shown only as "unavailable": no internals leave.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::page::message_page;
use crate::feedback::{FieldError, TransitionError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be read as asked (a query parameter, an id).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit what is stored now.
    #[error("{0}")]
    Conflict(String),
    /// The request was read, but what it asks for is not valid.
    #[error("{0}")]
    Invalid(String),
    /// Not valid, field by field (the feedback form's rules).
    #[error("{message}")]
    Fields {
        message: &'static str,
        fields: Vec<FieldError>,
    },
    /// The JSON body could not be read: axum's status and message.
    #[error("{}", .0.body_text())]
    Body(#[from] JsonRejection),
    /// The store did not answer; the cause is logged, not shown.
    #[error("the store is unavailable; try again later")]
    Store(#[from] StoreError),
    /// Something stored cannot be read back just now.
    #[error("{0}")]
    Unavailable(&'static str),
}

/// The JSON body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    error: String,
    /// For a report that is not valid: which fields, and what is wrong with each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldProblem>)]
    fields: Vec<FieldError>,
}

/// One field's problem (the schema of `FieldError` as serialized).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldProblem {
    field: String,
    message: String,
}

/// The refusals every `/api/v1` operation can answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Refusals {
    #[response(status = 401, description = "No or wrong credentials.")]
    Unauthorized(ErrorBody),
    #[response(
        status = 403,
        description = "Admin access is not configured on this server."
    )]
    NotConfigured(ErrorBody),
    #[response(
        status = 429,
        description = "Too many failed sign-ins from this address."
    )]
    Locked(ErrorBody),
    #[response(status = 503, description = "The store is unavailable.")]
    Unavailable(ErrorBody),
}

/// The refusals of an operation that reads a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum BodyRefusals {
    #[response(status = 400, description = "The body is not valid JSON.")]
    NotJson(ErrorBody),
    #[response(
        status = 413,
        description = "The body is larger than `[feedback] max_body_bytes`."
    )]
    TooLarge,
    #[response(status = 415, description = "The body is not `application/json`.")]
    NotJsonType(ErrorBody),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Invalid(_) | Error::Fields { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Body(r) => r.status(),
            Error::Store(_) | Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The error as an HTML page titled `title`; a store failure gets its own.
    pub fn page(self, title: &str) -> Response {
        if let Error::Store(e) = &self {
            tracing::error!(error = %e, "page: store unavailable");
            return (
                self.status(),
                message_page(
                    "Store unavailable",
                    "The store did not answer; try again in a minute.",
                ),
            )
                .into_response();
        }
        (self.status(), message_page(title, &self.to_string())).into_response()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Store(e) = &self {
            tracing::error!(error = %e, "api: store unavailable");
        }
        let error = self.to_string();
        let status = self.status();
        let fields = match self {
            Error::Fields { fields, .. } => fields,
            _ => Vec::new(),
        };
        let body = ErrorBody { error, fields };
        (status, Json(body)).into_response()
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Error {
        match e {
            TransitionError::Store(e) => Error::Store(e),
            TransitionError::NotFound => Error::NotFound(e.to_string()),
            TransitionError::NotAllowed { .. } => Error::Conflict(e.to_string()),
            TransitionError::NoteRequired | TransitionError::NoteTooLong => {
                Error::Invalid(e.to_string())
            }
        }
    }
}

/// A record id from a URL path: a whole number of at least 1, else 400.
pub fn parse_id(raw: &str) -> Result<i64, Error> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| Error::BadRequest("the id must be an integer of at least 1".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_failure_is_shown_without_its_cause() {
        let e = Error::Store(StoreError::Unavailable("postgres://secret@db".into()));
        let r = e.into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert_eq!(
            text,
            r#"{"error":"the store is unavailable; try again later"}"#
        );
    }
}

//! A FHIR server that refuses a cached OAuth2 token (revoked before its
//! `expires_in`): the 401 drops the token, so the next request fetches a
//! new one instead of failing until the old one would have expired.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::helpers::write_config;

#[derive(Default)]
struct Server {
    tokens: AtomicUsize,
}

/// Token `t1`, then `t2`, …, each valid for an hour by what it says.
async fn token(State(s): State<Arc<Server>>) -> Response {
    let n = s.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({"access_token": format!("t{n}"), "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

/// Only the second token is still good: the first was revoked.
async fn patients(headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer t2") {
        return (StatusCode::UNAUTHORIZED, "token revoked").into_response();
    }
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "total": 42})).into_response()
}

#[tokio::test]
async fn a_401_drops_the_cached_token_and_the_next_request_fetches_a_new_one() {
    let server = Arc::new(Server::default());
    let app = axum::Router::new()
        .route("/token", post(token))
        .route("/fhir/Patient", get(patients))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), "s3cret").unwrap();
    let d = dir.path().display();
    let path = write_config(
        dir.path(),
        &format!(
            "[store]\nurl = \"sqlite://{d}/store.db\"\n\
             [sources.ehr]\nfhir = \"{base}/fhir\"\ntoken_url = \"{base}/token\"\n\
             client_id = \"hypercare\"\nclient_secret_file = \"{d}/secret\"\n"
        ),
    );
    let config = hypercare::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&config).unwrap();
    let ehr = sources
        .fhir(&hypercare::config::Name::parse("ehr").unwrap())
        .unwrap();
    let first = ehr.count("Patient", &[]).await;
    assert!(first.is_err(), "the revoked token is refused: {first:?}");
    assert_eq!(ehr.count("Patient", &[]).await.unwrap(), 42);
    assert_eq!(server.tokens.load(Ordering::SeqCst), 2);
}

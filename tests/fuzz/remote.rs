//! What remote servers answer: FHIR search and count responses (Bundle
//! pages with any `total` and `next` links, invalid UTF-8, wrong content
//! types, 401/429/5xx with any `Retry-After`) and OAuth2 token responses
//! (any `access_token`, `expires_in` of any size or type). Each case is a
//! real request to a loopback server answering with the case. The source
//! must return a value or an error within its timeout, never panic.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use proptest::prelude::*;

use super::rt;

#[derive(Debug, Clone, Default)]
pub struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[derive(Default)]
struct Slots {
    fhir: Mutex<Answer>,
    token: Mutex<Answer>,
}

struct Server {
    base: String,
    slots: Arc<Slots>,
}

fn respond(a: &Answer) -> Response<Body> {
    let mut r = Response::new(Body::from(a.body.clone()));
    *r.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    for (k, v) in &a.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            r.headers_mut().append(k, v);
        }
    }
    r
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let slots = Arc::new(Slots::default());
        let app = axum::Router::new()
            .route(
                "/token",
                axum::routing::post(|State(s): State<Arc<Slots>>| async move {
                    respond(&s.token.lock().unwrap())
                }),
            )
            .fallback(|State(s): State<Arc<Slots>>| async move { respond(&s.fhir.lock().unwrap()) })
            .with_state(slots.clone());
        let listener = rt()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        rt().spawn(async move { axum::serve(listener, app).await });
        Server { base, slots }
    })
}

/// A FHIR source on the loopback server: bearer or OAuth2, no retries
/// (a `Retry-After` is still read), 2-s requests.
fn source(oauth: bool) -> Arc<hypercare::sources::FhirSource> {
    let dir = std::env::temp_dir().join(format!("hc-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret"), "s3cret").unwrap();
    let base = &server().base;
    let auth = if oauth {
        format!(
            "token_url = \"{base}/token\"\nclient_id = \"hc\"\nclient_secret_file = \"{}/secret\"\n",
            dir.display()
        )
    } else {
        format!("token_file = \"{}/secret\"\n", dir.display())
    };
    let text = format!(
        "[sources.ehr]\nfhir = \"{base}/fhir\"\nmax_retries = 0\nstatement_timeout = \"2s\"\n{auth}"
    );
    let config = hypercare::config::parse(&text, std::path::Path::new("fuzz.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&config).unwrap();
    sources
        .fhir(&hypercare::config::Name::parse("ehr").unwrap())
        .unwrap()
}

fn json_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            f.to_string()
        } else {
            "1e308".into()
        }),
        Just("1e2147483647".to_string()),
        Just("-1e2147483647".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"3600\"".to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        any::<u64>().prop_map(|n| n.to_string()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
        Just("-1".to_string()),
    ]
}

fn bundle(base: String) -> impl Strategy<Value = Vec<u8>> {
    let link = prop_oneof![
        Just(format!("{base}/fhir/Patient?page=2")),
        Just("http://elsewhere.example/fhir/Patient".to_string()),
        Just(format!("{base}/fhir-other/Patient")),
        "[ -~]{0,30}",
    ];
    (json_number(), proptest::option::of(link), any::<bool>()).prop_map(|(total, next, entries)| {
        let next = next.map_or(String::new(), |n| {
            format!(
                r#","link":[{{"relation":"next","url":{}}}]"#,
                serde_json::Value::String(n)
            )
        });
        let entry = if entries {
            r#","entry":[{"resource":{"resourceType":"Patient","id":"p1"}}]"#
        } else {
            ""
        };
        format!(r#"{{"resourceType":"Bundle","type":"searchset","total":{total}{next}{entry}}}"#)
            .into_bytes()
    })
}

fn fhir_answer() -> impl Strategy<Value = Answer> {
    let body = prop_oneof![
        bundle(server().base.clone()),
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(
            b"{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"diagnostics\":\"\xff\xfe\"}]}"
                .to_vec()
        ),
        Just("[".repeat(5000).into_bytes()),
    ];
    let status = prop_oneof![
        Just(200u16),
        Just(401),
        Just(404),
        Just(429),
        Just(500),
        Just(503),
        100u16..600
    ];
    let headers = proptest::collection::vec(
        (
            prop_oneof![
                Just("retry-after".to_string()),
                Just("content-type".to_string()),
                "[a-z-]{1,12}"
            ],
            header_value(),
        ),
        0..4,
    );
    (status, headers, body).prop_map(|(status, headers, body)| Answer {
        status,
        headers,
        body,
    })
}

fn token_answer() -> impl Strategy<Value = Answer> {
    let token = prop_oneof![
        "[ -~]{0,40}".prop_map(|s| serde_json::Value::String(s).to_string()),
        Just("null".to_string()),
        Just("42".to_string())
    ];
    let body = prop_oneof![
        (token, json_number()).prop_map(|(t, e)| format!(
            r#"{{"access_token":{t},"token_type":"Bearer","expires_in":{e}}}"#
        )
        .into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..100),
    ];
    (
        prop_oneof![Just(200u16), Just(400), Just(401), Just(500)],
        body,
    )
        .prop_map(|(status, body)| Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        })
}

/// Runs one count and one paged search; each must end within 10 s.
fn ask(src: Arc<hypercare::sources::FhirSource>) -> Result<(), TestCaseError> {
    rt().block_on(async move {
        let count = tokio::time::timeout(Duration::from_secs(10), src.count("Patient", &[])).await;
        prop_assert!(count.is_ok(), "count did not end within 10 s");
        let mut pages = 0;
        let search = src.search_pages("Patient", &[], |_| {
            pages += 1;
            // The server answers the same page forever: enough.
            if pages >= 20 {
                Err(hypercare::sources::SourceError::Shape("enough".into()))
            } else {
                Ok(())
            }
        });
        let search = tokio::time::timeout(Duration::from_secs(10), search).await;
        prop_assert!(search.is_ok(), "search did not end within 10 s");
        Ok(())
    })
}

proptest! {
    #[test]
    fn fhir_answers_end_as_a_value_or_an_error(answer in fhir_answer()) {
        let s = server();
        *s.slots.fhir.lock().unwrap() = answer;
        ask(source(false))?;
    }

    #[test]
    fn token_responses_end_as_a_token_or_an_error(token in token_answer()) {
        let s = server();
        *s.slots.fhir.lock().unwrap() = Answer { status: 200, headers: vec![], body: br#"{"resourceType":"Bundle","total":1}"#.to_vec() };
        *s.slots.token.lock().unwrap() = token;
        ask(source(true))?;
    }
}

//! HTTP steps: the request is built (templates, headers, credentials)
//! before the clock starts; the clock covers sending it and receiving the
//! whole body; judging and parsing come after.

use std::collections::BTreeMap;
use std::time::Instant;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

use super::judge::{self, failed};
use crate::config::workflows::{HttpRequest, Part, Step};
use crate::results::{StepOutcome, StepResult};
use crate::sources::{BodyError, FhirSource, read_capped};

const FHIR_JSON: &str = "application/fhir+json";

pub(super) async fn run(
    system: &FhirSource,
    step: &Step,
    req: &HttpRequest,
    vars: &mut BTreeMap<String, String>,
    max_body: u64,
) -> StepResult {
    let request = match build(system, req, vars).await {
        Ok(r) => r,
        Err((outcome, why)) => return failed(step, outcome, None, why),
    };
    let client = system.client();
    let clock = Instant::now();
    let answer = tokio::time::timeout(step.timeout, async {
        let resp = client.execute(request).await.map_err(BodyError::Read)?;
        let status = resp.status().as_u16();
        let body = read_capped(resp, max_body).await?;
        Ok::<_, BodyError>((status, body))
    })
    .await;
    let took = clock.elapsed();
    match answer {
        Err(_) => failed(step, StepOutcome::Timeout, Some(took), "timed out"),
        Ok(Err(e)) if e.is_timeout() => failed(step, StepOutcome::Timeout, Some(took), "timed out"),
        Ok(Err(BodyError::Read(e))) if e.is_connect() => {
            failed(step, StepOutcome::Connect, Some(took), "cannot connect")
        }
        Ok(Err(e @ BodyError::TooLarge { .. })) => failed(
            step,
            StepOutcome::Error,
            Some(took),
            &format!("the response {e}"),
        ),
        Ok(Err(_)) => failed(step, StepOutcome::Error, Some(took), "the request failed"),
        Ok(Ok((status, body))) => {
            if status == 401 {
                // A revoked or expired token: the next run fetches a new one.
                system.token_refused().await;
            }
            judge::http(step, status, &body, took, vars)
        }
    }
}

/// The request, ready to send: FHIR defaults (`Accept`, and `Content-Type`
/// for a body) unless the step sets those headers itself.
async fn build(
    system: &FhirSource,
    req: &HttpRequest,
    vars: &BTreeMap<String, String>,
) -> Result<reqwest::Request, (StepOutcome, &'static str)> {
    let url =
        url_of(system.base(), req, vars).ok_or((StepOutcome::Error, "cannot build the URL"))?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| (StepOutcome::Error, "bad method"))?;
    let mut rb = system.client().request(method, url);
    let sets = |name: &str| {
        req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !sets("accept") {
        rb = rb.header(ACCEPT, FHIR_JSON);
    }
    for (k, t) in &req.headers {
        let value = HeaderValue::from_str(&t.render(vars, str::to_string))
            .map_err(|_| (StepOutcome::Error, "a header value is not valid"))?;
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| (StepOutcome::Error, "a header name is not valid"))?;
        rb = rb.header(name, value);
    }
    if let Some(body) = &req.body {
        if !sets("content-type") {
            rb = rb.header(CONTENT_TYPE, FHIR_JSON);
        }
        rb = rb.body(body.render(vars, str::to_string));
    }
    let rb = system
        .authorize(rb)
        .await
        .map_err(|_| (StepOutcome::Auth, "cannot get an access token"))?;
    rb.build()
        .map_err(|_| (StepOutcome::Error, "cannot build the request"))
}

/// The base URL joined with the rendered path and query. A path that is one
/// variable holding an absolute URL on the same origin (a document's
/// attachment URL) is used as it is.
fn url_of(base: &url::Url, req: &HttpRequest, vars: &BTreeMap<String, String>) -> Option<url::Url> {
    let mut url = match req.path.parts.as_slice() {
        [Part::Var(v)] if vars.get(v).is_some_and(|s| s.contains("://")) => {
            let abs = url::Url::parse(vars.get(v)?).ok()?;
            (abs.origin() == base.origin()).then_some(abs)?
        }
        _ => {
            if climbs(req, vars) {
                return None;
            }
            let path = req.path.render(vars, encode_path);
            let joined = format!(
                "{}/{}",
                base.as_str().trim_end_matches('/'),
                path.trim_start_matches('/')
            );
            url::Url::parse(&joined).ok()?
        }
    };
    if !req.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, t) in &req.query {
            pairs.append_pair(k, &t.render(vars, str::to_string));
        }
    }
    Some(url)
}

/// Whether a value spliced into the path holds a `.` or `..` segment
/// (also percent-encoded: URL parsers treat `%2e%2e` as `..`), which would
/// move the request, with its credentials, elsewhere on the origin.
fn climbs(req: &HttpRequest, vars: &BTreeMap<String, String>) -> bool {
    req.path.parts.iter().any(|p| match p {
        Part::Var(v) => vars.get(v).is_some_and(|value| {
            value.split(['/', '\\']).any(|seg| {
                let seg = seg.to_ascii_lowercase().replace("%2e", ".");
                seg == "." || seg == ".."
            })
        }),
        _ => false,
    })
}

/// Percent-encodes a value for a path, keeping `/` (relative references
/// such as `Binary/123` are paths).
fn encode_path(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::workflows::Template;

    #[test]
    fn urls_join_the_base_encode_values_and_keep_same_origin_documents() {
        let base = url::Url::parse("http://ehr.test/fhir").unwrap();
        let vars = BTreeMap::from([
            ("id".to_string(), "a b".to_string()),
            (
                "doc".to_string(),
                "http://ehr.test/fhir/Binary/7".to_string(),
            ),
            ("evil".to_string(), "http://elsewhere.test/x".to_string()),
            ("mrn".to_string(), "urn:oid:1|42".to_string()),
        ]);
        let req = |path: &str, query: &[(&str, &str)]| HttpRequest {
            method: "GET".into(),
            path: Template::parse(path).unwrap(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), Template::parse(v).unwrap()))
                .collect(),
            headers: vec![],
            body: None,
        };
        let u = url_of(
            &base,
            &req("Patient/{{id}}", &[("identifier", "{{mrn}}")]),
            &vars,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://ehr.test/fhir/Patient/a%20b?identifier=urn%3Aoid%3A1%7C42"
        );
        let d = url_of(&base, &req("{{doc}}", &[]), &vars).unwrap();
        assert_eq!(d.as_str(), "http://ehr.test/fhir/Binary/7");
        assert!(url_of(&base, &req("{{evil}}", &[]), &vars).is_none());
    }

    #[test]
    fn extracted_dot_segments_do_not_climb_the_path() {
        let base = url::Url::parse("http://ehr.test/fhir").unwrap();
        let req = |path: &str| HttpRequest {
            method: "GET".into(),
            path: Template::parse(path).unwrap(),
            query: vec![],
            headers: vec![],
            body: None,
        };
        for evil in [
            "../admin",
            "..",
            "x/../../admin",
            "%2E%2e/admin",
            "./x",
            "..\\admin",
        ] {
            let vars = BTreeMap::from([("id".to_string(), evil.to_string())]);
            assert!(
                url_of(&base, &req("Patient/{{id}}"), &vars).is_none(),
                "{evil}"
            );
        }
        let vars = BTreeMap::from([("id".to_string(), "a..b/c.d".to_string())]);
        let ok = url_of(&base, &req("Binary/{{id}}"), &vars).unwrap();
        assert_eq!(ok.as_str(), "http://ehr.test/fhir/Binary/a..b/c.d");
    }
}

//! FHIR searches that return resources, page by page: what document
//! inventories read (`DocumentReference`) and link checks ask
//! (`Patient?_id=…`). Pages are followed by their `next` link, never built
//! here, and only while that link stays on the configured server (a token
//! is never sent elsewhere).

use reqwest::header::ACCEPT;

use super::super::SourceError;
use super::FhirSource;

/// Pages followed at most in one search: a guard against a `next` loop.
const MAX_PAGES: usize = 100_000;

impl FhirSource {
    /// Searches `[base]/[resource]?[params]` and hands every page's bundle
    /// to `page`, following `next` links on the same server.
    pub async fn search_pages(
        &self,
        resource: &str,
        params: &[(String, String)],
        mut page: impl FnMut(serde_json::Value) -> Result<(), SourceError>,
    ) -> Result<(), SourceError> {
        let mut url = self.cfg.base.clone();
        url.path_segments_mut()
            .map_err(|_| SourceError::Connect("the FHIR base cannot take a path".into()))?
            .push(resource);
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        for _ in 0..MAX_PAGES {
            let body = self.get_json(url.clone(), resource).await?;
            let next = next_link(&body);
            page(body)?;
            let Some(next) = next else { return Ok(()) };
            let next = url::Url::parse(&next)
                .or_else(|_| self.cfg.base.join(&next))
                .map_err(|_| SourceError::Shape(format!("{resource}: a next link is not a URL")))?;
            if !self.same_server(&next) {
                return Err(SourceError::Shape(format!(
                    "{resource}: a next link leads to another server; not followed"
                )));
            }
            url = next;
        }
        Err(SourceError::Shape(format!(
            "{resource}: more than {MAX_PAGES} pages; is the server looping?"
        )))
    }

    /// Whether a URL is on this server, under its base path: requests to it
    /// may carry the source's credentials.
    pub fn same_server(&self, url: &url::Url) -> bool {
        under_base(&self.cfg.base, url)
    }

    /// A request for raw bytes (a `Binary` read with a non-FHIR `Accept`),
    /// with this source's credentials; the caller's client sets the timeouts.
    pub async fn raw_request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: url::Url,
        accept: &str,
    ) -> Result<reqwest::RequestBuilder, SourceError> {
        self.authorize(client.request(method, url).header(ACCEPT, accept))
            .await
    }
}

/// The `next` link of a bundle, if any.
fn next_link(bundle: &serde_json::Value) -> Option<String> {
    bundle
        .get("link")?
        .as_array()?
        .iter()
        .find(|l| l.get("relation").and_then(|r| r.as_str()) == Some("next"))?
        .get("url")?
        .as_str()
        .map(str::to_string)
}

/// Same scheme, host and port, and a path at or below the base path on a
/// segment boundary: `/fhir` covers `/fhir/Patient`, never `/fhir-admin`.
fn under_base(base: &url::Url, url: &url::Url) -> bool {
    let base_path = base.path().trim_end_matches('/');
    let path = url.path();
    let below = path == base_path
        || path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'));
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && below
}

#[cfg(test)]
mod tests {
    use super::under_base;

    #[test]
    fn the_base_path_ends_on_a_segment_boundary() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let base = u("https://ehr.example.org/fhir/");
        for yes in [
            "https://ehr.example.org/fhir",
            "https://ehr.example.org/fhir/Patient?page=2",
            "https://ehr.example.org:443/fhir/Binary/1",
        ] {
            assert!(under_base(&base, &u(yes)), "{yes}");
        }
        for no in [
            "https://ehr.example.org/fhir-admin/Patient",
            "https://ehr.example.org/fhirx",
            "https://ehr.example.org/other/fhir/Patient",
            "http://ehr.example.org/fhir/Patient",
            "https://ehr.example.org:8443/fhir/Patient",
            "https://evil.example.org/fhir/Patient",
        ] {
            assert!(!under_base(&base, &u(no)), "{no}");
        }
        assert!(under_base(
            &u("http://127.0.0.1:8080/"),
            &u("http://127.0.0.1:8080/Patient")
        ));
    }
}

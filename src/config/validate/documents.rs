//! Validating `[[documents]]` checks: the inventory and links name sources
//! of the right kind, kinds are label-safe, shares and rates are in range,
//! S3 credentials come from the environment.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::super::documents::{
    Base, DEFAULT_MAX_FAILURES, DEFAULT_SKIP_STATUS, DocumentsConfig, HashAlgorithm, Inventory,
    Links, MAX_FAILURES, S3Config, Storage,
};
use super::super::errors::Collector;
use super::super::raw::{RawDocLinks, RawDocStorage, RawDocuments, RawRatio, S};
use super::super::{FhirSourceConfig, Name, SourceConfig};
use super::{Env, cron, duration, name_at, one_statement_at, positive, secret, tolerance};

mod kinds;
use kinds::kinds;

type SourceMaps<'a> = (
    &'a BTreeMap<Name, SourceConfig>,
    &'a BTreeMap<Name, FhirSourceConfig>,
);

pub(in crate::config) fn check(
    c: &mut Collector,
    mut raw: RawDocuments,
    sources: SourceMaps,
    declared: &[String],
    default_timeout: Duration,
    env: Env,
) -> Option<DocumentsConfig> {
    let name = name_at(c, &raw.name, "check");
    let schedule = cron(c, &raw.schedule);
    let timeout = duration(c, &raw.timeout, default_timeout);
    let inventory = inventory(c, &raw.inventory, sources, declared);
    let links = match &raw.links {
        None => Some(None),
        Some(l) => links(c, l, sources, declared).map(Some),
    };
    let storage = storage(c, raw.storage.take().unwrap_or_default(), env);
    let sample = positive(c, &raw.sample, 500);
    let content_share = share(c, raw.content_share.as_ref());
    let cycle = duration(c, &raw.cycle, Duration::from_secs(7 * 86400));
    let concurrency = positive(c, &raw.concurrency, 8);
    let rate_per_host = positive(c, &raw.rate_per_host, 20);
    let request_timeout = duration(c, &raw.request_timeout, Duration::from_secs(10));
    let max_content_mb = positive(c, &raw.max_content_mb, 1024);
    let kinds = kinds(c, &raw);
    let tolerance = tolerance(c, raw.tolerance.as_ref());
    let max_failures = match &raw.max_failures {
        None => Some(DEFAULT_MAX_FAILURES),
        Some(n) if *n.get_ref() as usize > MAX_FAILURES => {
            c.at(
                n.span(),
                format!("max_failures must be at most {MAX_FAILURES}"),
                Some("the list is for people to work through; counts cover the rest"),
            );
            None
        }
        Some(n) => Some(*n.get_ref() as usize),
    };
    let skip_status = raw.skip_status.map_or_else(
        || DEFAULT_SKIP_STATUS.iter().map(|s| s.to_string()).collect(),
        |s| s.into_inner(),
    );
    Some(DocumentsConfig {
        name: name?,
        description: raw.description,
        schedule: schedule?,
        timeout: timeout?,
        enabled: raw.enabled.unwrap_or(true),
        inventory: inventory?,
        links: links?,
        storage: storage?,
        sample: sample? as usize,
        content_share: content_share?,
        cycle: cycle?,
        concurrency: concurrency? as usize,
        rate_per_host: rate_per_host?,
        request_timeout: request_timeout?,
        max_content_mb: max_content_mb?,
        kinds: kinds?,
        skip_status,
        tolerance: tolerance?,
        max_failures: max_failures?,
    })
}

/// Which declared source a `from` names, and whether it is a FHIR one.
fn source_of(
    c: &mut Collector,
    from: &S<String>,
    (sql, fhir): SourceMaps,
    declared: &[String],
) -> Option<(Name, bool)> {
    let f = from.get_ref();
    if !declared.iter().any(|d| d == f) {
        let hint = if declared.is_empty() {
            "define it as [sources.NAME] with a url or fhir".to_string()
        } else {
            format!("known sources: {}", declared.join(", "))
        };
        c.at(from.span(), format!("unknown source `{f}`"), Some(&hint));
        return None;
    }
    if let Some(n) = fhir.keys().find(|k| k.as_str() == f) {
        return Some((n.clone(), true));
    }
    // A declared source that did not validate has its own error already.
    sql.keys()
        .find(|k| k.as_str() == f)
        .map(|n| (n.clone(), false))
}

fn inventory(
    c: &mut Collector,
    raw: &S<super::super::raw::RawDocInventory>,
    sources: SourceMaps,
    declared: &[String],
) -> Option<Inventory> {
    let r = raw.get_ref();
    let (from, is_fhir) = source_of(c, &r.from, sources, declared)?;
    match (is_fhir, &r.sql, &r.params) {
        (false, Some(sql), None) if !sql.get_ref().trim().is_empty() => one_statement_at(c, sql)
            .then(|| Inventory::Sql {
                from,
                sql: sql.get_ref().clone(),
            }),
        (false, _, _) => {
            c.at(
                raw.span(),
                format!("the inventory from SQL source `{from}` needs `sql` (and no `params`)"),
                Some("a query returning columns named id, kind, location (and content_type, size, hash, hash_algorithm, patient, encounter, date, status where known)"),
            );
            None
        }
        (true, None, params) => {
            let text = params.as_ref().map(|p| p.get_ref().as_str()).unwrap_or("");
            let params = url::form_urlencoded::parse(text.trim_start_matches('?').as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            Some(Inventory::Fhir { from, params })
        }
        (true, Some(sql), _) => {
            c.at(
                sql.span(),
                format!("`{from}` is a FHIR source: the inventory is a DocumentReference search"),
                Some("drop `sql`; set `params` (such as \"status=current&_count=100\") if needed"),
            );
            None
        }
    }
}

fn links(
    c: &mut Collector,
    raw: &S<RawDocLinks>,
    sources: SourceMaps,
    declared: &[String],
) -> Option<Links> {
    let r = raw.get_ref();
    let (from, is_fhir) = source_of(c, &r.from, sources, declared)?;
    if is_fhir {
        for key in [&r.patients_sql, &r.encounters_sql].into_iter().flatten() {
            c.at(
                key.span(),
                "FHIR links are looked up with Patient?_id= and Encounter?_id=: no SQL",
                None,
            );
        }
        return Some(Links::Fhir { from });
    }
    let Some(patients) = &r.patients_sql else {
        c.at(
            raw.span(),
            format!("links from SQL source `{from}` need `patients_sql`"),
            Some("a query returning every patient id, such as \"SELECT id FROM patient\""),
        );
        return None;
    };
    // Both are checked, so each mistake is reported.
    let one = [Some(patients), r.encounters_sql.as_ref()]
        .into_iter()
        .flatten()
        .filter(|sql| !one_statement_at(c, sql))
        .count();
    (one == 0).then_some(())?;
    Some(Links::Sql {
        from,
        patients: patients.get_ref().clone(),
        encounters: r.encounters_sql.as_ref().map(|s| s.get_ref().clone()),
    })
}

fn storage(c: &mut Collector, raw: RawDocStorage, env: Env) -> Option<Storage> {
    let base = match &raw.base {
        None => Some(None),
        Some(b) if b.get_ref().starts_with("http://") || b.get_ref().starts_with("https://") => {
            let text = b.get_ref();
            // A base without a trailing `/` would drop its last segment when joined.
            let with_slash = if text.ends_with('/') {
                text.clone()
            } else {
                format!("{text}/")
            };
            url::Url::parse(&with_slash)
                .map(|u| Some(Base::Url(u)))
                .map_err(|e| c.at(b.span(), format!("base is not a URL: {e}"), None))
                .ok()
        }
        Some(b) if b.get_ref().starts_with('/') => {
            Some(Some(Base::Folder(PathBuf::from(b.get_ref()))))
        }
        Some(b) => {
            c.at(
                b.span(),
                "base must be an http(s) URL or an absolute folder path",
                Some("such as \"https://docs.example.org/store/\" or \"/mnt/documents\""),
            );
            None
        }
    };
    let hash_algorithm = match &raw.hash_algorithm {
        None => Some(None),
        Some(h) => match HashAlgorithm::parse(h.get_ref()) {
            Some(a) => Some(Some(a)),
            None => {
                c.at(
                    h.span(),
                    format!("`{}` is not a hash algorithm hypercare knows", h.get_ref()),
                    Some(&format!("use one of {}", HashAlgorithm::NAMES)),
                );
                None
            }
        },
    };
    let s3 = s3(c, &raw, env);
    let allowed_hosts = names(
        c,
        &raw.allowed_hosts,
        "allowed_hosts",
        "docs.example.org:8443",
    );
    let allowed_buckets = names(
        c,
        &raw.allowed_buckets,
        "allowed_buckets",
        "scanned-documents",
    );
    Some(Storage {
        base: base?,
        hash_algorithm: hash_algorithm?,
        s3: s3?,
        allowed_hosts: allowed_hosts?,
        allowed_buckets: allowed_buckets?,
        allowed_folders: folders(c, &raw.allowed_folders)?,
    })
}

/// Host or bucket names: bare names (a host may carry `:port`), no scheme or path.
fn names(
    c: &mut Collector,
    raw: &Option<Vec<S<String>>>,
    key: &str,
    eg: &str,
) -> Option<Vec<String>> {
    let mut ok = true;
    for n in raw.iter().flatten() {
        let v = n.get_ref();
        if v.is_empty() || v.contains(['/', '@', ' ', '?', '#']) {
            c.at(
                n.span(),
                format!("{key}: `{v}` is not a bare name"),
                Some(&format!("such as \"{eg}\"")),
            );
            ok = false;
        }
    }
    ok.then(|| raw.iter().flatten().map(|n| n.get_ref().clone()).collect())
}

/// Absolute folders without `..`.
fn folders(c: &mut Collector, raw: &Option<Vec<S<String>>>) -> Option<Vec<PathBuf>> {
    let mut ok = true;
    for f in raw.iter().flatten() {
        let p = Path::new(f.get_ref());
        if !p.is_absolute() || p.components().any(|c| c == Component::ParentDir) {
            let message = format!(
                "allowed_folders: `{}` is not an absolute folder without `..`",
                f.get_ref()
            );
            c.at(f.span(), message, Some("such as \"/mnt/scans\""));
            ok = false;
        }
    }
    ok.then(|| {
        raw.iter()
            .flatten()
            .map(|f| PathBuf::from(f.get_ref()))
            .collect()
    })
}

fn s3(c: &mut Collector, raw: &RawDocStorage, env: Env) -> Option<Option<S3Config>> {
    let any = raw.s3_endpoint.is_some()
        || raw.s3_region.is_some()
        || raw.s3_access_key_id_env.is_some()
        || raw.s3_secret_access_key_env.is_some()
        || raw.s3_allow_http.is_some();
    if !any {
        return Some(None);
    }
    let endpoint = match &raw.s3_endpoint {
        None => Some(None),
        Some(e) => url::Url::parse(e.get_ref())
            .map(Some)
            .map_err(|err| c.at(e.span(), format!("s3_endpoint is not a URL: {err}"), None))
            .ok(),
    };
    let key = secret(
        c,
        "s3 access key id",
        (&None, &raw.s3_access_key_id_env, &None),
        env,
        None,
    );
    let secret_key = secret(
        c,
        "s3 secret access key",
        (&None, &raw.s3_secret_access_key_env, &None),
        env,
        None,
    );
    let allow_http = raw.s3_allow_http.unwrap_or(false);
    if let (Some(Some(u)), Some(e)) = (&endpoint, &raw.s3_endpoint)
        && u.scheme() == "http"
        && !allow_http
    {
        c.at(
            e.span(),
            "s3_endpoint is plain http",
            Some("use https, or set s3_allow_http = true for a local test store"),
        );
    }
    Some(Some(S3Config {
        endpoint: endpoint?,
        region: raw
            .s3_region
            .as_ref()
            .map_or_else(|| "us-east-1".to_string(), |r| r.get_ref().clone()),
        access_key_id: key?,
        secret_access_key: secret_key?,
        allow_http,
    }))
}

fn share(c: &mut Collector, raw: Option<&S<RawRatio>>) -> Option<f64> {
    let Some(raw) = raw else { return Some(0.1) };
    match raw.get_ref().share() {
        Some(v) => Some(v),
        None => {
            c.at(
                raw.span(),
                "content_share must be a share from 0 to 1 or a percentage",
                Some("such as content_share = 0.1 or content_share = \"10%\""),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::documents::{Base, HashAlgorithm, Inventory, Links};
    use crate::config::parse;

    const HEAD: &str = r#"[sources.db]
url = "sqlite://docs.db"

[sources.ehr]
fhir = "https://ehr.example/fhir"
"#;

    fn load(body: &str) -> Result<crate::config::Config, String> {
        parse(&format!("{HEAD}{body}"), Path::new("t.toml"), &|v| {
            (v == "S3_KEY").then(|| "k".to_string())
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_check_loads_typed_with_its_defaults() {
        let cfg = load(
            r#"
[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
content_share = "25%"
kinds = { referral = ["57133-1"], lab_report = [] }
inventory = { from = "db", sql = "SELECT id, location FROM d" }
links = { from = "ehr" }
storage = { base = "https://store.example/docs", hash_algorithm = "SHA3-512", s3_access_key_id_env = "S3_KEY", s3_secret_access_key_env = "S3_KEY" }
"#,
        )
        .expect("valid");
        let d = &cfg.documents[0];
        assert_eq!(d.content_share, 0.25);
        assert_eq!((d.sample, d.concurrency, d.rate_per_host), (500, 8, 20));
        assert_eq!(d.skip_status, ["superseded", "entered-in-error"]);
        assert!(matches!(d.inventory, Inventory::Sql { .. }));
        assert!(matches!(d.links, Some(Links::Fhir { .. })));
        assert_eq!(d.storage.hash_algorithm, Some(HashAlgorithm::Sha3_512));
        let Some(Base::Url(base)) = &d.storage.base else {
            panic!("a URL base")
        };
        assert_eq!(
            base.as_str(),
            "https://store.example/docs/",
            "a trailing slash is added"
        );
        assert_eq!(d.kinds.len(), 2);
    }

    #[test]
    fn every_mistake_is_reported_at_its_line() {
        let err = load(
            r#"
[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
content_share = 1.5
kinds = { "Lab Report" = [] }
inventory = { from = "ehr", sql = "SELECT 1" }
links = { from = "nowhere" }
storage = { base = "docs/relative", hash_algorithm = "md5", s3_endpoint = "http://minio:9000" }

[[documents]]
name = "no_kinds"
schedule = "0 */10 * * * *"
inventory = { from = "db" }
"#,
        )
        .expect_err("invalid");
        for (needle, line) in [
            ("content_share must be a share", 10),
            ("kind name", 11),
            ("`ehr` is a FHIR source", 12),
            ("unknown source `nowhere`", 13),
            ("base must be an http(s) URL", 14),
            ("`md5` is not a hash algorithm", 14),
            ("s3_endpoint is plain http", 14),
            ("check `no_kinds` needs `kinds`", 17),
            ("needs `sql`", 19),
        ] {
            assert!(
                err.contains(&format!("t.toml:{line}:")) && err.contains(needle),
                "expected `{needle}` at line {line}:\n{err}"
            );
        }
    }
}

//! The rules of a `[[documents]]` check's values, applied while serde reads
//! it: the inventory and links name sources of the right kind, kinds are
//! label-safe, shares and counts are in range, S3 credentials come from the
//! environment. A broken rule is recorded at its value (see `de.rs`).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::super::de::recover;
use super::super::integrity::one_statement;
use super::super::raw::RawRatio;
use super::super::refs;
use super::super::secrets::{SecretKeys, secret};
use super::super::{Name, values};
use super::{
    Base, DEFAULT_MAX_FAILURES, DEFAULT_SKIP_STATUS, HashAlgorithm, Inventory, Links, MAX_FAILURES,
    S3Config, Storage,
};

pub(super) fn sample() -> usize {
    500
}

pub(super) fn concurrency() -> usize {
    8
}

pub(super) fn content_share() -> f64 {
    0.1
}

pub(super) fn max_failures() -> usize {
    DEFAULT_MAX_FAILURES
}

pub(super) fn skip_status() -> Vec<String> {
    DEFAULT_SKIP_STATUS.iter().map(|s| s.to_string()).collect()
}

/// A count of at least 1.
pub(super) fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    values::positive(d).map(|n| n as usize)
}

pub(super) fn at_most<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let hint = "the list is for people to work through; counts cover the rest";
    values::at_most(d, MAX_FAILURES, "max_failures", hint)
}

/// `0.1` or `"10%"`.
pub(super) fn share<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = Spanned::<RawRatio>::deserialize(d)?;
    match v.get_ref().share() {
        Some(share) => Ok(share),
        None => {
            let message = "content_share must be a share from 0 to 1 or a percentage";
            let hint = "such as content_share = 0.1 or content_share = \"10%\"";
            recover(v.span(), message, Some(hint), 0.0)
        }
    }
}

/// At least one kind, each name label-safe.
pub(super) fn kinds<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<Name, Vec<String>>, D::Error> {
    let v = Spanned::<BTreeMap<String, Vec<String>>>::deserialize(d)?;
    if v.get_ref().is_empty() {
        return recover(v.span(), "`kinds` is empty", None, BTreeMap::new());
    }
    let mut out = BTreeMap::new();
    for (k, values) in v.get_ref() {
        match Name::parse(k) {
            Ok(n) => drop(out.insert(n, values.clone())),
            Err(e) => {
                let hint = Some("kind names label the check's metrics");
                recover::<(), D::Error>(v.span(), format!("kind name {e}"), hint, ())?;
            }
        }
    }
    Ok(out)
}

/// Which declared source `from` names, and whether it is a FHIR server;
/// `None` once a mistake is recorded.
fn source_of<E: Error>(from: &Spanned<String>) -> Result<Option<(Name, bool)>, E> {
    let f = from.get_ref();
    let (sql, fhir) = refs::known(|k| (k.sql_sources.contains(f), k.fhir_sources.contains(f)));
    if !sql && !fhir {
        let declared = refs::known(|k| [&k.sql_sources[..], &k.fhir_sources[..]].concat());
        let hint = if declared.is_empty() {
            "define it as [sources.NAME] with a url or fhir".to_string()
        } else {
            format!("known sources: {}", declared.join(", "))
        };
        return recover(
            from.span(),
            format!("unknown source `{f}`"),
            Some(&hint),
            None,
        );
    }
    // A declared name that is not valid is reported where it is declared.
    Ok(Name::parse(f).ok().map(|n| (n, fhir)))
}

/// One read-only statement, as written.
fn statement<E: Error>(sql: Spanned<String>) -> Result<String, E> {
    match one_statement(sql.get_ref()) {
        Ok(()) => Ok(sql.into_inner()),
        Err(e) => {
            let hint =
                "hypercare only reads: write one SELECT, without a second statement after `;`";
            recover(sql.span(), e, Some(hint), String::new())
        }
    }
}

/// A placeholder name, for values whose mistake is recorded.
fn unnamed() -> Name {
    Name(String::new())
}

/// `inventory = { from, sql | params }`, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryText {
    from: Spanned<String>,
    sql: Option<Spanned<String>>,
    params: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Inventory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<InventoryText>::deserialize(d)?;
        let span = v.span();
        let InventoryText { from, sql, params } = v.into_inner();
        let placeholder = Inventory::Sql {
            from: unnamed(),
            sql: String::new(),
        };
        let Some((from, is_fhir)) = source_of(&from)? else {
            return Ok(placeholder);
        };
        match (is_fhir, sql, params) {
            (false, Some(sql), None) if !sql.get_ref().trim().is_empty() => {
                let sql = statement(sql)?;
                Ok(Inventory::Sql { from, sql })
            }
            (false, _, _) => {
                let message =
                    format!("the inventory from SQL source `{from}` needs `sql` (and no `params`)");
                let hint = "a query returning columns named id, kind, location (and content_type, size, hash, hash_algorithm, patient, encounter, date, status where known)";
                recover(span, message, Some(hint), placeholder)
            }
            (true, None, params) => {
                let text = params.as_ref().map_or("", |p| p.get_ref().as_str());
                let params = url::form_urlencoded::parse(text.trim_start_matches('?').as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                Ok(Inventory::Fhir { from, params })
            }
            (true, Some(sql), _) => {
                let message = format!(
                    "`{from}` is a FHIR source: the inventory is a DocumentReference search"
                );
                let hint =
                    "drop `sql`; set `params` (such as \"status=current&_count=100\") if needed";
                recover(sql.span(), message, Some(hint), placeholder)
            }
        }
    }
}

/// `links = { from, patients_sql, encounters_sql }`, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinksText {
    from: Spanned<String>,
    patients_sql: Option<Spanned<String>>,
    encounters_sql: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Links {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<LinksText>::deserialize(d)?;
        let span = v.span();
        let LinksText {
            from,
            patients_sql,
            encounters_sql,
        } = v.into_inner();
        let Some((from, is_fhir)) = source_of(&from)? else {
            return Ok(Links::Fhir { from: unnamed() });
        };
        if is_fhir {
            for key in [&patients_sql, &encounters_sql].into_iter().flatten() {
                let message =
                    "FHIR links are looked up with Patient?_id= and Encounter?_id=: no SQL";
                recover::<(), D::Error>(key.span(), message, None, ())?;
            }
            return Ok(Links::Fhir { from });
        }
        let Some(patients) = patients_sql else {
            let message = format!("links from SQL source `{from}` need `patients_sql`");
            let hint = "a query returning every patient id, such as \"SELECT id FROM patient\"";
            return recover(span, message, Some(hint), Links::Fhir { from });
        };
        Ok(Links::Sql {
            from,
            patients: statement(patients)?,
            encounters: encounters_sql.map(statement).transpose()?,
        })
    }
}

/// `storage = { … }` as written: the S3 keys are flat.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageText {
    base: Option<Base>,
    hash_algorithm: Option<HashAlgorithm>,
    s3_endpoint: Option<Spanned<String>>,
    s3_region: Option<String>,
    s3_access_key_id_env: Option<Spanned<String>>,
    s3_secret_access_key_env: Option<Spanned<String>>,
    s3_allow_http: Option<bool>,
    #[serde(default, deserialize_with = "hosts")]
    allowed_hosts: Vec<String>,
    #[serde(default, deserialize_with = "buckets")]
    allowed_buckets: Vec<String>,
    #[serde(default, deserialize_with = "folders")]
    allowed_folders: Vec<PathBuf>,
}

impl<'de> Deserialize<'de> for Storage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut t = StorageText::deserialize(d)?;
        Ok(Storage {
            s3: s3(&mut t)?,
            base: t.base,
            hash_algorithm: t.hash_algorithm,
            allowed_hosts: t.allowed_hosts,
            allowed_buckets: t.allowed_buckets,
            allowed_folders: t.allowed_folders,
        })
    }
}

/// The object store, when any `s3_` key is written.
fn s3<E: Error>(t: &mut StorageText) -> Result<Option<S3Config>, E> {
    let any = t.s3_endpoint.is_some()
        || t.s3_region.is_some()
        || t.s3_access_key_id_env.is_some()
        || t.s3_secret_access_key_env.is_some()
        || t.s3_allow_http.is_some();
    if !any {
        return Ok(None);
    }
    let allow_http = t.s3_allow_http.unwrap_or(false);
    let endpoint = match &t.s3_endpoint {
        None => None,
        Some(e) => match url::Url::parse(e.get_ref()) {
            Ok(u) if u.scheme() == "http" && !allow_http => {
                let hint = "use https, or set s3_allow_http = true for a local test store";
                recover(e.span(), "s3_endpoint is plain http", Some(hint), Some(u))?
            }
            Ok(u) => Some(u),
            Err(err) => recover(
                e.span(),
                format!("s3_endpoint is not a URL: {err}"),
                None,
                None,
            )?,
        },
    };
    let from_env = |env: &mut Option<Spanned<String>>, what: &str| {
        let keys = SecretKeys {
            env: env.take(),
            ..SecretKeys::default()
        };
        secret::<E>(what, &keys, None).map(Option::flatten)
    };
    Ok(Some(S3Config {
        endpoint,
        region: t.s3_region.take().unwrap_or_else(|| "us-east-1".into()),
        access_key_id: from_env(&mut t.s3_access_key_id_env, "s3 access key id")?,
        secret_access_key: from_env(&mut t.s3_secret_access_key_env, "s3 secret access key")?,
        allow_http,
    }))
}

impl<'de> Deserialize<'de> for Base {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        let text = v.get_ref();
        let placeholder = Base::Folder(PathBuf::new());
        if text.starts_with("http://") || text.starts_with("https://") {
            // A base without a trailing `/` would drop its last segment when joined.
            let with_slash = if text.ends_with('/') {
                text.clone()
            } else {
                format!("{text}/")
            };
            return match url::Url::parse(&with_slash) {
                Ok(u) => Ok(Base::Url(u)),
                Err(e) => recover(
                    v.span(),
                    format!("base is not a URL: {e}"),
                    None,
                    placeholder,
                ),
            };
        }
        if text.starts_with('/') {
            return Ok(Base::Folder(PathBuf::from(text)));
        }
        let message = "base must be an http(s) URL or an absolute folder path";
        let hint = "such as \"https://docs.example.org/store/\" or \"/mnt/documents\"";
        recover(v.span(), message, Some(hint), placeholder)
    }
}

impl<'de> Deserialize<'de> for HashAlgorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        HashAlgorithm::parse(v.get_ref()).map_or_else(
            || {
                let message = format!("`{}` is not a hash algorithm hypercare knows", v.get_ref());
                let hint = format!("use one of {}", HashAlgorithm::NAMES);
                recover(v.span(), message, Some(&hint), HashAlgorithm::Sha256)
            },
            Ok,
        )
    }
}

/// Host or bucket names: bare names (a host may carry `:port`), no scheme or path.
fn bare_names<'de, D: Deserializer<'de>>(
    d: D,
    key: &str,
    eg: &str,
) -> Result<Vec<String>, D::Error> {
    let mut out = Vec::new();
    for n in Vec::<Spanned<String>>::deserialize(d)? {
        let v = n.get_ref();
        if v.is_empty() || v.contains(['/', '@', ' ', '?', '#']) {
            let message = format!("{key}: `{v}` is not a bare name");
            recover::<(), D::Error>(n.span(), message, Some(&format!("such as \"{eg}\"")), ())?;
        }
        out.push(n.into_inner());
    }
    Ok(out)
}

fn hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    bare_names(d, "allowed_hosts", "docs.example.org:8443")
}

fn buckets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    bare_names(d, "allowed_buckets", "scanned-documents")
}

/// Absolute folders without `..`.
fn folders<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    let mut out = Vec::new();
    for f in Vec::<Spanned<String>>::deserialize(d)? {
        let p = Path::new(f.get_ref());
        if !p.is_absolute() || p.components().any(|c| c == Component::ParentDir) {
            let message = format!(
                "allowed_folders: `{}` is not an absolute folder without `..`",
                f.get_ref()
            );
            recover::<(), D::Error>(f.span(), message, Some("such as \"/mnt/scans\""), ())?;
        }
        out.push(PathBuf::from(f.get_ref()));
    }
    Ok(out)
}

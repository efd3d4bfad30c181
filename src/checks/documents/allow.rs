//! Where an inventory may send hypercare: locations come from data a
//! migration wrote, so a row could name any host, bucket or file, and
//! requests go out with credentials (the FHIR token, the S3 keys).
//! Allowed: the host of `storage.base` and of the inventory's FHIR server,
//! hosts in `allowed_hosts`, buckets in `allowed_buckets` (none by
//! default), files under a folder `base` or in `allowed_folders`. Anything else
//! is a `location_not_allowed` failure before any request is made.

use std::path::{Component, Path, PathBuf};

use super::Failure;
use crate::config::documents::{Base, Storage};
use crate::results::Reason;

/// A host, and its port when the entry names one (base and FHIR hosts do).
type Host = (String, Option<u16>);

pub(super) struct Allowed {
    hosts: Vec<Host>,
    buckets: Vec<String>,
    folders: Vec<PathBuf>,
}

fn refused(why: String) -> Failure {
    (Reason::LocationNotAllowed, why)
}

fn host_of(url: &url::Url) -> Option<Host> {
    Some((
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default(),
    ))
}

impl Allowed {
    pub fn new(storage: &Storage, fhir_base: Option<&url::Url>) -> Allowed {
        let base_url = match &storage.base {
            Some(Base::Url(u)) => Some(u),
            _ => None,
        };
        let listed = storage
            .allowed_hosts
            .iter()
            .map(|h| match h.rsplit_once(':') {
                Some((host, port)) if port.parse::<u16>().is_ok() => {
                    (host.to_ascii_lowercase(), port.parse().ok())
                }
                _ => (h.to_ascii_lowercase(), None),
            });
        let hosts = base_url.into_iter().chain(fhir_base).filter_map(host_of);
        Allowed {
            hosts: hosts.chain(listed).collect(),
            buckets: storage.allowed_buckets.clone(),
            folders: match &storage.base {
                Some(Base::Folder(dir)) => vec![dir.clone()],
                _ => vec![],
            }
            .into_iter()
            .chain(storage.allowed_folders.iter().cloned())
            .collect(),
        }
    }

    /// An http(s) URL on an allowed host (and port, where the entry names one).
    pub fn url(&self, url: &url::Url) -> Result<(), Failure> {
        let Some((host, port)) = host_of(url) else {
            return Err(refused("URL without a host".into()));
        };
        let ok = self
            .hosts
            .iter()
            .any(|(h, p)| *h == host && p.is_none_or(|p| Some(p) == port));
        if ok {
            Ok(())
        } else {
            Err(refused(
                "host not in storage.allowed_hosts (nor the base's or FHIR server's)".into(),
            ))
        }
    }

    pub fn bucket(&self, bucket: &str) -> Result<(), Failure> {
        if self.buckets.iter().any(|b| b == bucket) {
            Ok(())
        } else {
            Err(refused("bucket not in storage.allowed_buckets".into()))
        }
    }

    /// An absolute path without `..`, under the folder base or a listed folder.
    pub fn file(&self, path: &Path) -> Result<(), Failure> {
        let clean = path.is_absolute() && !path.components().any(|c| c == Component::ParentDir);
        if !clean {
            Err((Reason::InvalidLocation, "path with `..`".into()))
        } else if self.folders.iter().any(|dir| path.starts_with(dir)) {
            Ok(())
        } else {
            Err(refused(
                "file outside the folder base and storage.allowed_folders".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(base: Option<Base>, hosts: &[&str], buckets: &[&str]) -> Allowed {
        let storage = Storage {
            base,
            allowed_folders: vec!["/srv/scans".into()],
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            allowed_buckets: buckets.iter().map(|b| b.to_string()).collect(),
            ..Storage::default()
        };
        let fhir = url::Url::parse("https://fhir.example.org/r4/").unwrap();
        Allowed::new(&storage, Some(&fhir))
    }

    #[test]
    fn only_the_base_the_fhir_server_and_listed_hosts_are_reached() {
        let base = Base::Url(url::Url::parse("http://docs.example.org:8080/store/").unwrap());
        let a = allowed(
            Some(base),
            &["cdn.example.org", "scan.example.org:9000"],
            &[],
        );
        let u = |s: &str| url::Url::parse(s).unwrap();
        for ok in [
            "http://docs.example.org:8080/other/1.pdf",
            "https://fhir.example.org/r4/Binary/7",
            "https://CDN.example.org/a.pdf",
            "http://cdn.example.org:81/a.pdf",
            "http://scan.example.org:9000/a.tif",
        ] {
            assert!(a.url(&u(ok)).is_ok(), "{ok}");
        }
        for no in [
            "http://docs.example.org:9999/1.pdf",
            "http://169.254.169.254/latest/meta-data/",
            "https://fhir.example.org:8443/r4/Binary/7",
            "http://scan.example.org:9001/a.tif",
            "http://cdn.example.org.evil.test/a.pdf",
        ] {
            let e = a.url(&u(no)).unwrap_err();
            assert_eq!(e.0, Reason::LocationNotAllowed, "{no}");
        }
        assert_eq!(a.bucket("scans").unwrap_err().0, Reason::LocationNotAllowed);
        assert_eq!(
            a.file(Path::new("/etc/passwd")).unwrap_err().0,
            Reason::LocationNotAllowed
        );
    }

    #[test]
    fn files_stay_under_the_folder_base_and_buckets_are_listed() {
        let a = allowed(Some(Base::Folder("/mnt/docs".into())), &[], &["scans"]);
        assert!(a.file(Path::new("/mnt/docs/2026/a.pdf")).is_ok());
        assert!(
            a.file(Path::new("/srv/scans/1.tif")).is_ok(),
            "a listed folder"
        );
        assert_eq!(
            a.file(Path::new("/mnt/docsx/a.pdf")).unwrap_err().0,
            Reason::LocationNotAllowed
        );
        assert_eq!(
            a.file(Path::new("/etc/shadow")).unwrap_err().0,
            Reason::LocationNotAllowed
        );
        assert_eq!(
            a.file(Path::new("/mnt/docs/../x")).unwrap_err().0,
            Reason::InvalidLocation
        );
        assert!(a.bucket("scans").is_ok());
        assert!(a.bucket("payroll").is_err());
    }
}

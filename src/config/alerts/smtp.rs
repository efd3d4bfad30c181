//! `[smtp]`: the relay every e-mail goes through.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::config::de::recover;
use crate::config::secrets::{SecretKeys, secret};
use crate::config::{Secret, values};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the first byte (SMTPS), usually port 465.
    Tls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

impl SmtpTls {
    fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Bound on one connection and send.
    pub timeout: Duration,
    /// PEM certificates trusted besides the Mozilla roots (an internal CA).
    pub ca_pem: Option<Vec<u8>>,
}

/// `[smtp]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpText {
    host: Spanned<String>,
    port: Option<u16>,
    #[serde(default)]
    tls: Option<Tls>,
    from: Spanned<String>,
    username: Option<String>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    #[serde(default = "values::secs::<10>", deserialize_with = "values::duration")]
    timeout: Duration,
    ca_file: Option<Spanned<String>>,
}

struct Tls(SmtpTls);

impl<'de> Deserialize<'de> for Tls {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        match v.get_ref().as_str() {
            "starttls" => Ok(Tls(SmtpTls::Starttls)),
            "tls" => Ok(Tls(SmtpTls::Tls)),
            "none" => Ok(Tls(SmtpTls::None)),
            other => {
                let message = format!("`{other}` is not an SMTP security mode");
                let hint = "use starttls (port 587), tls (port 465) or none";
                recover(v.span(), message, Some(hint), Tls(SmtpTls::Starttls))
            }
        }
    }
}

impl<'de> Deserialize<'de> for SmtpConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = SmtpText::deserialize(d)?;
        let tls = t.tls.map_or(SmtpTls::Starttls, |t| t.0);
        if t.from
            .get_ref()
            .parse::<lettre::message::Mailbox>()
            .is_err()
        {
            let message = format!("`{}` is not a sender address", t.from.get_ref());
            let hint = Some("such as \"hypercare <hypercare@example.org>\"");
            recover::<(), D::Error>(t.from.span(), message, hint, ())?;
        }
        let keys = SecretKeys {
            env: t.password_env,
            file: t.password_file,
            ..SecretKeys::default()
        };
        let password = secret::<D::Error>("smtp password", &keys, None)?.flatten();
        if t.host.get_ref().trim().is_empty() {
            recover::<(), D::Error>(t.host.span(), "host is empty", None, ())?;
        }
        let ca_pem = match &t.ca_file {
            None => None,
            Some(f) => ca_file::<D::Error>(f, t.host.get_ref())?,
        };
        Ok(SmtpConfig {
            host: t.host.into_inner(),
            port: t.port.unwrap_or(tls.default_port()),
            tls,
            from: t.from.into_inner(),
            username: t.username,
            password,
            timeout: t.timeout,
            ca_pem,
        })
    }
}

/// Reads a CA file and checks rustls can trust it.
fn ca_file<E: serde::de::Error>(f: &Spanned<String>, host: &str) -> Result<Option<Vec<u8>>, E> {
    let pem = match std::fs::read(f.get_ref()) {
        Ok(pem) => pem,
        Err(e) => {
            let message = format!("ca_file: cannot read `{}`: {e}", f.get_ref());
            return recover(f.span(), message, None, None);
        }
    };
    let usable = pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----")
        && lettre::transport::smtp::client::Certificate::from_pem(&pem)
            .and_then(|cert| {
                lettre::transport::smtp::client::TlsParameters::builder(host.to_string())
                    .add_root_certificate(cert)
                    .build_rustls()
            })
            .is_ok();
    if !usable {
        let message = format!("ca_file: `{}` holds no usable PEM certificate", f.get_ref());
        let hint = Some("a PEM file with -----BEGIN CERTIFICATE----- blocks");
        return recover(f.span(), message, hint, None);
    }
    Ok(Some(pem))
}

//! Validating where alerts go: `[notifiers.NAME]`, `[smtp]`, `[outbox]`.

use std::time::Duration;

use toml::Spanned;

use super::super::super::alerts::{
    NotifierConfig, NotifierKind, SmtpConfig, SmtpTls, WebhookFormat,
};
use super::super::super::errors::Collector;
use super::super::super::raw::{RawNotifier, RawSmtp, S};
use super::super::{Env, duration, secret};
use crate::config::Name;

pub(super) fn notifier(
    c: &mut Collector,
    name: &Spanned<String>,
    raw: RawNotifier,
    env: Env,
    has_smtp: bool,
) -> Option<NotifierConfig> {
    let what = format!("notifier `{}`", name.get_ref());
    let timeout = duration(c, &raw.timeout, Duration::from_secs(10));
    let send_resolved = raw.send_resolved.unwrap_or(true);
    let kind = match raw.r#type.get_ref().as_str() {
        "email" => {
            let to: Vec<String> = raw
                .to
                .iter()
                .flatten()
                .map(|t| t.get_ref().clone())
                .collect();
            if to.is_empty() {
                c.at(
                    raw.r#type.span(),
                    format!("{what}: an email notifier needs `to`"),
                    Some("to = [\"oncall@example.org\"]"),
                );
                return None;
            }
            for t in raw.to.iter().flatten() {
                if t.get_ref().parse::<lettre::message::Mailbox>().is_err() {
                    c.at(
                        t.span(),
                        format!("`{}` is not an e-mail address", t.get_ref()),
                        None,
                    );
                    return None;
                }
            }
            if !has_smtp {
                c.at(
                    raw.r#type.span(),
                    format!("{what} sends mail, but [smtp] is not configured"),
                    None,
                );
                return None;
            }
            NotifierKind::Email { to }
        }
        "webhook" => {
            let url = secret(
                c,
                &format!("{what} url"),
                (&raw.url, &raw.url_env, &raw.url_file),
                env,
                Some(name.span()),
            )??;
            if url::Url::parse(url.expose()).is_err() {
                c.at(name.span(), format!("{what}: url is not a URL"), None);
                return None;
            }
            let format = match raw.format.as_ref().map(|f| f.get_ref().as_str()) {
                None | Some("json") => WebhookFormat::Json,
                Some("slack") => WebhookFormat::Slack,
                Some(other) => {
                    let span = raw.format.as_ref().map(|f| f.span()).unwrap_or_default();
                    c.at(
                        span,
                        format!("`{other}` is not a webhook format"),
                        Some("use json or slack"),
                    );
                    return None;
                }
            };
            NotifierKind::Webhook { url, format }
        }
        "alertmanager" => {
            let Some(u) = &raw.url else {
                c.at(
                    raw.r#type.span(),
                    format!("{what}: an alertmanager notifier needs `url`"),
                    Some("url = \"http://alertmanager:9093\""),
                );
                return None;
            };
            match url::Url::parse(u.get_ref()) {
                Ok(url) => NotifierKind::Alertmanager { url },
                Err(e) => {
                    c.at(u.span(), format!("{what}: url is not a URL: {e}"), None);
                    return None;
                }
            }
        }
        other => {
            c.at(
                raw.r#type.span(),
                format!("`{other}` is not a notifier type"),
                Some("use email, webhook or alertmanager"),
            );
            return None;
        }
    };
    Some(NotifierConfig {
        name: Name::parse(name.get_ref()).ok()?,
        kind,
        timeout: timeout?,
        send_resolved,
    })
}

pub(super) fn smtp(c: &mut Collector, raw: RawSmtp, env: Env) -> Option<SmtpConfig> {
    let tls = match raw.tls.as_ref().map(|t| t.get_ref().as_str()) {
        None | Some("starttls") => Some(SmtpTls::Starttls),
        Some("tls") => Some(SmtpTls::Tls),
        Some("none") => Some(SmtpTls::None),
        Some(other) => {
            let span = raw.tls.as_ref().map(|t| t.span()).unwrap_or_default();
            c.at(
                span,
                format!("`{other}` is not an SMTP security mode"),
                Some("use starttls (port 587), tls (port 465) or none"),
            );
            None
        }
    };
    let port = raw
        .port
        .as_ref()
        .map(|p| *p.get_ref())
        .unwrap_or(match tls {
            Some(SmtpTls::Tls) => 465,
            Some(SmtpTls::None) => 25,
            _ => 587,
        });
    if raw
        .from
        .get_ref()
        .parse::<lettre::message::Mailbox>()
        .is_err()
    {
        c.at(
            raw.from.span(),
            format!("`{}` is not a sender address", raw.from.get_ref()),
            Some("such as \"hypercare <hypercare@example.org>\""),
        );
    }
    let password = secret(
        c,
        "smtp password",
        (&None, &raw.password_env, &raw.password_file),
        env,
        None,
    );
    let timeout = duration(c, &raw.timeout, Duration::from_secs(10));
    if raw.host.get_ref().trim().is_empty() {
        c.at(raw.host.span(), "host is empty", None);
        return None;
    }
    let ca_pem = match &raw.ca_file {
        None => Some(None),
        Some(f) => ca_file(c, f, raw.host.get_ref()).map(Some),
    };
    Some(SmtpConfig {
        host: raw.host.get_ref().clone(),
        port,
        tls: tls?,
        from: raw.from.get_ref().clone(),
        username: raw.username.map(Spanned::into_inner),
        password: match password {
            None => None,
            Some(p) => Some(p?),
        },
        timeout: timeout?,
        ca_pem: ca_pem?,
    })
}

/// Reads a CA file and checks rustls can trust it.
fn ca_file(c: &mut Collector, f: &S<String>, host: &str) -> Option<Vec<u8>> {
    let pem = std::fs::read(f.get_ref())
        .map_err(|e| {
            c.at(
                f.span(),
                format!("ca_file: cannot read `{}`: {e}", f.get_ref()),
                None,
            )
        })
        .ok()?;
    let usable = pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----")
        && lettre::transport::smtp::client::Certificate::from_pem(&pem)
            .and_then(|cert| {
                lettre::transport::smtp::client::TlsParameters::builder(host.to_string())
                    .add_root_certificate(cert)
                    .build_rustls()
            })
            .is_ok();
    if !usable {
        c.at(
            f.span(),
            format!("ca_file: `{}` holds no usable PEM certificate", f.get_ref()),
            Some("a PEM file with -----BEGIN CERTIFICATE----- blocks"),
        );
        return None;
    }
    Some(pem)
}

//! Validating MLLP steps (`mllp = "host:port"` and a `message`): the
//! address, the TLS options, the message template, the ACK codes expected
//! and the ACK fields extracted.

use super::super::super::errors::Collector;
use super::super::super::raw::{RawAck, RawStep, S};
use super::super::super::workflows::Template;
use super::super::super::workflows::hl7::{self, MllpRequest, MllpTls};

/// Codes MSA-1 can hold (original and enhanced acknowledgement modes).
const ACK_CODES: [&str; 6] = ["AA", "AE", "AR", "CA", "CE", "CR"];

/// What a step does, decided by which keys it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Http,
    Sql,
    Mllp,
}

impl Kind {
    pub(super) fn of(r: &RawStep) -> Kind {
        if r.mllp.is_some() || r.message.is_some() {
            Kind::Mllp
        } else if r.sql.is_some() || r.from.is_some() {
            Kind::Sql
        } else {
            Kind::Http
        }
    }

    /// The `expect` keys a step of this kind can hold.
    pub(super) fn expect_keys(self) -> &'static str {
        match self {
            Kind::Http => "status, body_contains, json, count, min_count and max_duration",
            Kind::Sql => "count, min_count and max_duration",
            Kind::Mllp => "ack, body_contains and max_duration",
        }
    }
}

/// Reports MLLP-only keys on an HTTP or SQL step.
pub(super) fn stray_keys(c: &mut Collector, r: &RawStep) {
    let tls = r.tls.as_ref().map(|s| ("tls", s.span()));
    let ca = r.ca_file.as_ref().map(|s| ("ca_file", s.span()));
    for (key, span) in tls.into_iter().chain(ca) {
        c.at(
            span,
            format!("`{key}` belongs to MLLP steps (with `mllp` and `message`)"),
            None,
        );
    }
}

pub(super) fn action(c: &mut Collector, r: &RawStep) -> Option<MllpRequest> {
    let other = [
        ("method", r.method.as_ref().map(|s| s.span())),
        ("path", r.path.as_ref().map(|s| s.span())),
        ("query", r.query.as_ref().map(|s| s.span())),
        ("headers", r.headers.as_ref().map(|s| s.span())),
        ("body", r.body.as_ref().map(|s| s.span())),
        ("from", r.from.as_ref().map(|s| s.span())),
        ("sql", r.sql.as_ref().map(|s| s.span())),
        ("params", r.params.as_ref().map(|s| s.span())),
    ];
    for (key, span) in other {
        if let Some(span) = span {
            let message = format!("`{key}` does not apply to an MLLP step");
            c.at(
                span,
                message,
                Some("an MLLP step has mllp, message, tls, ca_file"),
            );
        }
    }
    let (Some(addr), Some(text)) = (&r.mllp, &r.message) else {
        let message = format!(
            "MLLP step `{}` needs both `mllp` (host:port of the interface engine) and `message`",
            r.name.get_ref()
        );
        c.at(r.name.span(), message, None);
        return None;
    };
    let target = address(c, addr);
    let message = message(c, text);
    let tls = tls(c, r);
    let (host, port) = target?;
    Some(MllpRequest {
        host,
        port,
        tls: tls?,
        message: message?,
    })
}

fn address(c: &mut Collector, raw: &S<String>) -> Option<(String, u16)> {
    let s = raw.get_ref().trim();
    let parsed = s.rsplit_once(':').and_then(|(h, p)| {
        let host = h.trim_start_matches('[').trim_end_matches(']');
        let port = p.parse::<u16>().ok().filter(|&p| p > 0)?;
        (!host.is_empty() && !host.contains(['/', ' '])).then(|| (host.to_string(), port))
    });
    if parsed.is_none() {
        let message = format!("`{s}` is not an MLLP address");
        c.at(
            raw.span(),
            message,
            Some("write host:port, such as \"engine.example.org:2575\""),
        );
    }
    parsed
}

fn message(c: &mut Collector, raw: &S<String>) -> Option<Template> {
    let text = hl7::segments(raw.get_ref());
    let head_ok = text.len() >= 8
        && text.starts_with("MSH")
        && text[3..].starts_with(|f: char| !f.is_ascii_alphanumeric() && f != ' ');
    if !head_ok {
        let hint = "one segment a line, such as MSH|^~\\\\&|HYPERCARE|PROBE|ADT|HOSP|||ADT^A08|HC{{run}}|P|2.5";
        c.at(
            raw.span(),
            "the message must start with an MSH segment and its separators",
            Some(hint),
        );
        return None;
    }
    Template::parse(&text)
        .map_err(|e| c.at(raw.span(), e, None))
        .ok()
}

fn tls(c: &mut Collector, r: &RawStep) -> Option<Option<MllpTls>> {
    let on = r.tls.as_ref().is_some_and(|t| *t.get_ref());
    let Some(f) = &r.ca_file else {
        return Some(on.then(MllpTls::default));
    };
    if !on {
        c.at(f.span(), "`ca_file` needs `tls = true`", None);
        return None;
    }
    let pem = match std::fs::read(f.get_ref()) {
        Ok(pem) => pem,
        Err(e) => {
            c.at(
                f.span(),
                format!("ca_file: cannot read `{}`: {e}", f.get_ref()),
                None,
            );
            return None;
        }
    };
    use tokio_rustls::rustls::pki_types::{CertificateDer, pem::PemObject};
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).collect();
    if certs.is_empty() || certs.iter().any(Result::is_err) {
        let message = format!("ca_file: `{}` holds no usable PEM certificate", f.get_ref());
        c.at(
            f.span(),
            message,
            Some("a PEM file with -----BEGIN CERTIFICATE----- blocks"),
        );
        return None;
    }
    Some(Some(MllpTls { ca_pem: Some(pem) }))
}

/// The accepted ACK codes, uppercase.
pub(super) fn acks(c: &mut Collector, raw: &S<RawAck>) -> Option<Vec<String>> {
    let list: Vec<String> = match raw.get_ref() {
        RawAck::One(s) => vec![s.to_ascii_uppercase()],
        RawAck::Many(v) => v.iter().map(|s| s.to_ascii_uppercase()).collect(),
    };
    if list.is_empty() || list.iter().any(|a| !ACK_CODES.contains(&a.as_str())) {
        let hint = format!("use one or more of {}", ACK_CODES.join(", "));
        c.at(
            raw.span(),
            "ack must be an HL7 acknowledgement code or a list of them",
            Some(&hint),
        );
        return None;
    }
    Some(list)
}

//! The outbox lease must outlast one delivery: a claimed message whose lease
//! lapses mid-send is claimed again by another replica and sent twice. One
//! attempt takes up to its timeout plus a second of grace (`notify/mod.rs`),
//! then a store write settles it (bounded at 5 s): hence the margin.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeValue;

use super::super::Config;
use super::super::errors::Collector;

/// Lease minus the longest delivery timeout must be at least this.
pub const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// A mail drop (`mail_dir`) write is bounded at this (`notify/mod.rs`).
const MAIL_DROP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where an error about the lease points: its value when written, else the
/// `[outbox]` section, else the file's start.
pub(super) fn lease_span(outbox: Option<&Spanned<DeValue<'_>>>) -> Range<usize> {
    let Some(outbox) = outbox else { return 0..0 };
    match outbox.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .find(|(k, _)| k.get_ref() == "lease")
            .map_or(outbox.span(), |(_, v)| v.span()),
        _ => outbox.span(),
    }
}

/// Records an error when a delivery's timeout comes within the margin of
/// the outbox lease, naming the delivery.
pub(super) fn check(c: &mut Collector, config: &Config, span: Range<usize>) {
    let a = &config.alerting;
    let smtp = a
        .smtp
        .iter()
        .map(|s| ("[smtp] timeout".to_string(), s.timeout));
    let drop = (a.smtp.is_none() && a.outbox.mail_dir.is_some())
        .then(|| ("the mail drop's timeout".to_string(), MAIL_DROP_TIMEOUT));
    let notifiers = a
        .notifiers
        .values()
        .map(|n| (format!("[notifiers.{}] timeout", n.name), n.timeout));
    let Some((what, longest)) = smtp.chain(drop).chain(notifiers).max_by_key(|(_, t)| *t) else {
        return;
    };
    let lease = a.outbox.lease;
    if lease < longest + LEASE_MARGIN {
        let fmt = |d: Duration| humantime::format_duration(d).to_string();
        c.at(
            span,
            format!(
                "[outbox] lease {} must exceed {what} ({}) by at least {}: a message whose lease lapses mid-send is sent twice",
                fmt(lease),
                fmt(longest),
                fmt(LEASE_MARGIN)
            ),
            Some(&format!("lease = \"{}\"", fmt(longest + LEASE_MARGIN))),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[notifiers.pager]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/x\"\n";

    fn errors(text: &str) -> String {
        match crate::config::parse(text, Path::new("h.toml"), &|_| None) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_pass_and_a_lease_too_close_to_a_timeout_is_named_at_its_line() {
        assert_eq!(errors(BASE), "", "60s lease, 10s timeout");
        let close = format!("{BASE}timeout = \"55s\"\n[outbox]\nlease = \"60s\"\n");
        let e = errors(&close);
        assert!(
            e.contains("h.toml:6:9: [outbox] lease 1m must exceed [notifiers.pager] timeout (55s) by at least 10s"),
            "{e}"
        );
        assert!(e.contains("lease = \"1m 5s\""), "{e}");
        assert_eq!(errors(&close.replace("\"60s\"", "\"65s\"")), "");
    }

    #[test]
    fn the_smtp_timeout_counts_and_an_unwritten_lease_points_at_the_start() {
        let text = "[smtp]\nhost = \"127.0.0.1\"\nport = 2525\ntls = \"none\"\n\
                    from = \"hc@example.org\"\ntimeout = \"55s\"\n";
        let e = errors(text);
        assert!(
            e.contains("h.toml:1:1: [outbox] lease 1m must exceed [smtp] timeout (55s)"),
            "{e}"
        );
    }
}

//! Validating `[alerting]`, `[[alerts]]`, `[notifiers.NAME]`, `[smtp]`,
//! `[outbox]` and `[[silences]]`, and the names they refer to.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use toml::Spanned;

use super::super::alerts::{
    AlertRuleConfig, AlertingConfig, Annotations, Condition, NotifierConfig, NotifierKind,
    OutboxConfig, Severity, SilenceConfig, SilenceWhen, SmtpConfig, SmtpTls, WebhookFormat,
};
use super::super::errors::Collector;
use super::super::raw::{RawAlert, RawAlerting, RawNotifier, RawOutbox, RawSilence, RawSmtp, S};
use super::{Env, cron, duration, name_at, positive, secret};
use crate::config::{AlertingSections, Name};

/// The alerting sections as written.
#[derive(Default)]
pub(in crate::config) struct RawAlertingSections {
    pub alerting: Option<RawAlerting>,
    pub alerts: Vec<RawAlert>,
    pub notifiers: Vec<(Spanned<String>, Option<RawNotifier>)>,
    pub smtp: Option<RawSmtp>,
    pub outbox: Option<RawOutbox>,
    pub silences: Vec<RawSilence>,
}

/// Builds the alerting config; `checks` holds every configured check name.
pub(in crate::config) fn alerting(
    c: &mut Collector,
    raw: RawAlertingSections,
    checks: &HashMap<String, ()>,
    env: Env,
) -> Option<AlertingSections> {
    let smtp = raw.smtp.map(|s| smtp(c, s, env));
    let has_smtp = smtp.as_ref().is_some_and(Option::is_some);
    let mut notifiers = BTreeMap::new();
    let declared: Vec<String> = raw
        .notifiers
        .iter()
        .map(|(n, _)| n.get_ref().clone())
        .collect();
    let mut ok = true;
    for (name, n) in raw.notifiers {
        let parsed = name_at(c, &name, "notifier");
        match (parsed, n.and_then(|n| notifier(c, &name, n, env, has_smtp))) {
            (Some(p), Some(n)) => {
                notifiers.insert(p.clone(), NotifierConfig { name: p, ..n });
            }
            _ => ok = false,
        }
    }
    let alerting = general(c, raw.alerting.unwrap_or_default(), &declared);
    let mut alerts = Vec::new();
    let mut names = HashMap::new();
    for r in raw.alerts {
        if names.insert(r.name.get_ref().clone(), ()).is_some() {
            c.at(
                r.name.span(),
                format!("alert `{}` is defined twice", r.name.get_ref()),
                Some("every rule needs its own name: it is the alertname label"),
            );
            ok = false;
        }
        let stale_runs = alerting.as_ref().map_or(3, |a| a.stale_after_runs);
        match rule(c, r, checks, &declared, stale_runs) {
            Some(r) => alerts.push(r),
            None => ok = false,
        }
    }
    let outbox = outbox(c, raw.outbox.unwrap_or_default());
    let silences: Vec<Option<SilenceConfig>> =
        raw.silences.into_iter().map(|s| silence(c, s)).collect();
    let silences: Option<Vec<SilenceConfig>> = silences.into_iter().collect();
    if !ok {
        return None;
    }
    Some(AlertingSections {
        general: alerting?,
        rules: alerts,
        notifiers,
        smtp: match smtp {
            None => None,
            Some(s) => Some(s?),
        },
        outbox: outbox?,
        silences: silences?,
    })
}

fn notify_list(
    c: &mut Collector,
    raw: &Option<Vec<S<String>>>,
    declared: &[String],
) -> Option<Vec<Name>> {
    let mut out = Vec::new();
    let mut ok = true;
    for n in raw.iter().flatten() {
        if !declared.contains(n.get_ref()) {
            c.at(
                n.span(),
                format!("no notifier is named `{}`", n.get_ref()),
                Some("declare it as [notifiers.NAME]"),
            );
            ok = false;
        } else if let Some(name) = name_at(c, n, "notifier") {
            out.push(name);
        }
    }
    ok.then_some(out)
}

fn general(c: &mut Collector, raw: RawAlerting, declared: &[String]) -> Option<AlertingConfig> {
    let d = AlertingConfig::default();
    let evaluation_interval = duration(c, &raw.evaluation_interval, d.evaluation_interval);
    let repeat_interval = duration(c, &raw.repeat_interval, d.repeat_interval);
    let resend_interval = duration(c, &raw.resend_interval, d.resend_interval);
    let default_for = duration(c, &raw.default_for, d.default_for);
    let blocker_window = duration(c, &raw.blocker_window, d.blocker_window);
    let stale = positive(c, &raw.stale_after_runs, d.stale_after_runs);
    let blockers = positive(c, &raw.blocker_threshold, d.blocker_threshold);
    let notify = notify_list(c, &raw.default_notify, declared);
    for (value, what) in [
        (&raw.evaluation_interval, evaluation_interval),
        (&raw.resend_interval, resend_interval),
    ] {
        if let (Some(v), Some(d)) = (value, what)
            && d < Duration::from_secs(1)
        {
            c.at(v.span(), "must be at least 1s", None);
        }
    }
    let discrepancy = match &raw.discrepancy_threshold {
        Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
            c.at(t.span(), "must be a number of records, 0 or more", None);
            None
        }
        Some(t) => Some(*t.get_ref()),
        None => Some(d.discrepancy_threshold),
    };
    Some(AlertingConfig {
        evaluation_interval: evaluation_interval?,
        repeat_interval: repeat_interval?,
        resend_interval: resend_interval?,
        default_rules: raw.default_rules.unwrap_or(d.default_rules),
        default_for: default_for?,
        default_notify: notify?,
        stale_after_runs: stale?,
        discrepancy_threshold: discrepancy?,
        blocker_threshold: blockers?,
        blocker_window: blocker_window?,
        send_resolved: raw.send_resolved.unwrap_or(d.send_resolved),
    })
}

fn required<'a, T>(
    c: &mut Collector,
    v: &'a Option<S<T>>,
    r: &RawAlert,
    key: &str,
) -> Option<&'a S<T>> {
    if v.is_none() {
        c.at(
            r.condition.span(),
            format!("condition `{}` needs `{key}`", r.condition.get_ref()),
            None,
        );
    }
    v.as_ref()
}

fn number(c: &mut Collector, v: Option<&S<f64>>, lo: f64, hi: f64, what: &str) -> Option<f64> {
    let v = v?;
    let x = *v.get_ref();
    if !(x.is_finite() && x >= lo && x <= hi) {
        c.at(v.span(), format!("{what} must be from {lo} to {hi}"), None);
        return None;
    }
    Some(x)
}

fn window(c: &mut Collector, v: Option<&S<String>>) -> Option<Duration> {
    let v = v?;
    let d = duration(c, &Some(v.clone()), Duration::ZERO)?;
    if d < Duration::from_secs(1) {
        c.at(v.span(), "a window must be at least 1s", None);
        return None;
    }
    Some(d)
}

/// The condition and the keys it takes; keys of other conditions are refused.
fn condition(c: &mut Collector, r: &RawAlert, stale_runs: u32) -> Option<Condition> {
    let allowed: &[&str] = match r.condition.get_ref().as_str() {
        "status" => &[],
        "discrepancy" => &["threshold"],
        "failure_ratio" => &["threshold", "window"],
        "burn_rate" => &["threshold", "long_window", "short_window", "objective"],
        "feedback_blockers" => &["threshold", "window"],
        "stale" => &["stale_after"],
        other => {
            c.at(
                r.condition.span(),
                format!("`{other}` is not a condition"),
                Some(
                    "use status, discrepancy, failure_ratio, burn_rate, feedback_blockers or stale",
                ),
            );
            return None;
        }
    };
    let given = [
        ("threshold", r.threshold.as_ref().map(|s| s.span())),
        ("window", r.window.as_ref().map(|s| s.span())),
        ("long_window", r.long_window.as_ref().map(|s| s.span())),
        ("short_window", r.short_window.as_ref().map(|s| s.span())),
        ("objective", r.objective.as_ref().map(|s| s.span())),
        ("stale_after", r.stale_after.as_ref().map(|s| s.span())),
    ];
    let mut ok = true;
    for (key, span) in given {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            c.at(
                span,
                format!(
                    "`{key}` does not apply to condition `{}`",
                    r.condition.get_ref()
                ),
                None,
            );
            ok = false;
        }
    }
    let cond = match r.condition.get_ref().as_str() {
        "status" => Some(Condition::Status),
        "discrepancy" => {
            let t = required(c, &r.threshold, r, "threshold");
            number(c, t, 0.0, f64::MAX, "threshold").map(|above| Condition::Discrepancy { above })
        }
        "failure_ratio" => {
            let t = required(c, &r.threshold, r, "threshold");
            let above = number(c, t, 0.0, 1.0, "threshold (a share of runs)");
            let w = required(c, &r.window, r, "window");
            let window = window(c, w);
            Some(Condition::FailureRatio {
                above: above?,
                window: window?,
            })
        }
        "burn_rate" => burn_rate(c, r),
        "feedback_blockers" => {
            let t = required(c, &r.threshold, r, "threshold");
            let at_least = number(c, t, 1.0, 1e9, "threshold (a count of reports)");
            let w = required(c, &r.window, r, "window");
            let window = window(c, w);
            Some(Condition::FeedbackBlockers {
                at_least: at_least? as u32,
                window: window?,
            })
        }
        _ => {
            let after = match &r.stale_after {
                Some(s) => Some(window(c, Some(s))?),
                None => None,
            };
            Some(Condition::Stale {
                after,
                runs: stale_runs,
            })
        }
    };
    if ok { cond } else { None }
}

fn burn_rate(c: &mut Collector, r: &RawAlert) -> Option<Condition> {
    let t = required(c, &r.threshold, r, "threshold");
    let threshold = number(c, t, 0.0, 1e6, "threshold");
    let o = required(c, &r.objective, r, "objective");
    let objective = number(c, o, 0.0, 0.999_999, "objective (such as 0.99)");
    let lw = required(c, &r.long_window, r, "long_window");
    let long_window = window(c, lw);
    let sw = required(c, &r.short_window, r, "short_window");
    let short_window = window(c, sw);
    if let (Some(l), Some(s), Some(span)) = (long_window, short_window, r.short_window.as_ref())
        && s >= l
    {
        c.at(
            span.span(),
            "short_window must be shorter than long_window",
            Some("such as long_window = \"1h\", short_window = \"5m\""),
        );
        return None;
    }
    Some(Condition::BurnRate {
        objective: objective?,
        long_window: long_window?,
        short_window: short_window?,
        threshold: threshold?,
    })
}

fn text(c: &mut Collector, v: &Option<S<String>>, url: bool) -> Option<Option<String>> {
    let Some(v) = v else { return Some(None) };
    if url && url::Url::parse(v.get_ref()).is_err() {
        c.at(
            v.span(),
            "not a URL",
            Some("such as https://wiki.example.org/runbooks/drift"),
        );
        return None;
    }
    Some(Some(v.get_ref().clone()))
}

fn labels(
    c: &mut Collector,
    raw: &Option<S<BTreeMap<String, String>>>,
) -> Option<BTreeMap<String, String>> {
    let Some(raw) = raw else {
        return Some(BTreeMap::new());
    };
    let reserved = ["alertname", "severity", "check", "kind"];
    for k in raw.get_ref().keys() {
        if !crate::config::is_identifier(k, false) || reserved.contains(&k.as_str()) {
            c.at(
                raw.span(),
                format!("`{k}` cannot be a label name here"),
                Some("letters, digits and `_`, not starting with a digit; alertname, severity, check and kind are set by hypercare"),
            );
            return None;
        }
    }
    Some(raw.get_ref().clone())
}

fn rule(
    c: &mut Collector,
    r: RawAlert,
    checks: &HashMap<String, ()>,
    declared: &[String],
    stale_runs: u32,
) -> Option<AlertRuleConfig> {
    let name = name_at(c, &r.name, "alert");
    let cond = condition(c, &r, stale_runs);
    let mut rule_checks = Vec::new();
    for ch in r.checks.iter().flatten() {
        if !checks.contains_key(ch.get_ref()) {
            c.at(
                ch.span(),
                format!("no check is named `{}`", ch.get_ref()),
                None,
            );
        } else if let Some(n) = name_at(c, ch, "check") {
            rule_checks.push(n);
        }
    }
    if let (Some(Condition::FeedbackBlockers { .. }), Some(ch)) =
        (&cond, r.checks.as_ref().and_then(|v| v.first()))
    {
        c.at(
            ch.span(),
            "feedback_blockers rules watch feedback, not checks",
            None,
        );
    }
    let pending_for = duration(c, &r.r#for, Duration::ZERO);
    let severity = match &r.severity {
        None => Some(Severity::Warning),
        Some(s) => Severity::parse(s.get_ref()).or_else(|| {
            c.at(
                s.span(),
                format!("`{}` is not a severity", s.get_ref()),
                Some("use critical, warning or info"),
            );
            None
        }),
    };
    let labels = labels(c, &r.labels);
    let annotations = (
        text(c, &r.summary, false),
        text(c, &r.description, false),
        text(c, &r.runbook_url, true),
        text(c, &r.dashboard_url, true),
    );
    let notify = notify_list(c, &r.notify, declared);
    let kind = r.kind.as_ref().map(|k| k.get_ref().clone());
    Some(AlertRuleConfig {
        name: name?,
        condition: cond?,
        checks: rule_checks,
        kind,
        pending_for: pending_for?,
        severity: severity?,
        labels: labels?,
        annotations: Annotations {
            summary: annotations.0?,
            description: annotations.1?,
            runbook_url: annotations.2?,
            dashboard_url: annotations.3?,
        },
        notify: notify?,
    })
}

fn notifier(
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

fn smtp(c: &mut Collector, raw: RawSmtp, env: Env) -> Option<SmtpConfig> {
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

fn outbox(c: &mut Collector, raw: RawOutbox) -> Option<OutboxConfig> {
    let d = OutboxConfig::default();
    let poll = duration(c, &raw.poll_interval, d.poll_interval);
    let lease = duration(c, &raw.lease, d.lease);
    let attempts = positive(c, &raw.max_attempts, d.max_attempts);
    let initial = duration(c, &raw.backoff_initial, d.backoff_initial);
    let max = duration(c, &raw.backoff_max, d.backoff_max);
    let retention = duration(c, &raw.retention, d.retention);
    if let (Some(l), Some(s)) = (lease, &raw.lease)
        && l < Duration::from_secs(5)
    {
        c.at(
            s.span(),
            "lease must be at least 5s",
            Some("it must outlast a delivery's timeout"),
        );
        return None;
    }
    Some(OutboxConfig {
        poll_interval: poll?,
        lease: lease?,
        max_attempts: attempts?,
        backoff_initial: initial?,
        backoff_max: max?,
        retention: retention?,
    })
}

fn instant(c: &mut Collector, v: &S<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(v.get_ref())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            c.at(
                v.span(),
                format!("`{}` is not a time", v.get_ref()),
                Some("RFC 3339, such as 2026-12-01T22:00:00Z"),
            )
        })
        .ok()
}

fn silence(c: &mut Collector, raw: RawSilence) -> Option<SilenceConfig> {
    let labels = match &raw.labels {
        Some(l) => l.get_ref().clone(),
        None => BTreeMap::new(),
    };
    let anchor = raw
        .alertname
        .as_ref()
        .or(raw.starts_at.as_ref())
        .or(raw.cron.as_ref())
        .map(|s| s.span())
        .or(raw.labels.as_ref().map(|l| l.span()))
        .unwrap_or_default();
    if raw.alertname.is_none() && labels.is_empty() {
        c.at(
            anchor.clone(),
            "a silence needs `alertname` or `labels`",
            Some("a silence of everything would hide every alert"),
        );
        return None;
    }
    let when = match (&raw.starts_at, &raw.ends_at, &raw.cron, &raw.duration) {
        (Some(s), Some(e), None, None) => {
            let (starts, ends) = (instant(c, s)?, instant(c, e)?);
            if ends <= starts {
                c.at(e.span(), "ends_at must be after starts_at", None);
                return None;
            }
            SilenceWhen::Once { starts, ends }
        }
        (None, None, Some(cr), Some(d)) => SilenceWhen::Recurring {
            cron: Box::new(cron(c, cr)?),
            duration: window(c, Some(d))?,
        },
        _ => {
            c.at(
                anchor,
                "a silence needs starts_at and ends_at (one-off) or cron and duration (recurring)",
                None,
            );
            return None;
        }
    };
    Some(SilenceConfig {
        alertname: raw.alertname.map(Spanned::into_inner),
        labels,
        when,
        comment: raw.comment.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn errors(text: &str) -> String {
        match crate::config::parse(text, Path::new("h.toml"), &|_| None) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    const CHECK: &str = "[sources.s]\nurl = \"sqlite://x.db\"\n[[reconcile]]\nname = \"patients\"\nschedule = \"0 * * * * *\"\n\
        source = { from = \"s\", sql = \"SELECT 1\" }\ntarget = { from = \"s\", sql = \"SELECT 1\" }\n";

    #[test]
    fn a_valid_alerting_config_loads_with_its_defaults() {
        let text = format!(
            "{CHECK}[alerting]\ndefault_notify = [\"hook\"]\n[notifiers.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/x\"\n\
             [[alerts]]\nname = \"slo\"\ncondition = \"burn_rate\"\nchecks = [\"patients\"]\nobjective = 0.99\nlong_window = \"1h\"\n\
             short_window = \"5m\"\nthreshold = 14.4\n[[silences]]\nalertname = \"slo\"\ncron = \"0 0 2 * * Sun\"\nduration = \"2h\"\n"
        );
        let c = crate::config::parse(&text, Path::new("h.toml"), &|_| None).unwrap();
        let a = &c.alerting;
        assert_eq!(a.rules.len(), 1);
        assert_eq!(a.general.default_notify.len(), 1);
        assert!(a.smtp.is_none());
        assert_eq!(a.silences.len(), 1);
    }

    #[test]
    fn every_mistake_is_reported_at_its_line() {
        let text = format!(
            "{CHECK}[[alerts]]\nname = \"a\"\ncondition = \"status\"\nthreshold = 3\n\
             [[alerts]]\nname = \"b\"\ncondition = \"burn_rate\"\nlong_window = \"5m\"\nshort_window = \"1h\"\nthreshold = 2\n\
             [[alerts]]\nname = \"c\"\ncondition = \"discrepancy\"\nthreshold = 1\nchecks = [\"nope\"]\nnotify = [\"ghost\"]\n\
             [[alerts]]\nname = \"d\"\ncondition = \"sometimes\"\n\
             [notifiers.mail]\ntype = \"email\"\nto = [\"ops@example.org\"]\n\
             [[silences]]\ncomment = \"everything\"\nstarts_at = \"2026-01-01T00:00:00Z\"\nends_at = \"2026-01-02T00:00:00Z\"\n"
        );
        let e = errors(&text);
        for expected in [
            "h.toml:11:13: `threshold` does not apply to condition `status`",
            "condition `burn_rate` needs `objective`",
            "short_window must be shorter than long_window",
            "no check is named `nope`",
            "no notifier is named `ghost`",
            "`sometimes` is not a condition",
            "notifier `mail` sends mail, but [smtp] is not configured",
            "a silence needs `alertname` or `labels`",
        ] {
            assert!(e.contains(expected), "expected `{expected}` in:\n{e}");
        }
    }
}

//! Reading `[alerting]`, `[[alerts]]`, `[notifiers.NAME]` and `[smtp]`,
//! after the sections whose names they refer to.

use std::collections::{BTreeMap, HashSet};

use toml::Spanned;
use toml::de::DeValue;

use super::super::alerts::{
    AlertRuleConfig, AlertingConfig, Condition, NotifierConfig, NotifierText, OutboxConfig,
    SilenceConfig, SmtpConfig,
};
use super::super::errors::Collector;
use super::super::{AlertingSections, Name, de};
use super::tables::{items, key_span, read, record};

/// The alerting sections as written.
#[derive(Default)]
pub(super) struct Written<'i> {
    pub alerting: Option<Spanned<DeValue<'i>>>,
    pub alerts: Option<Spanned<DeValue<'i>>>,
    pub notifiers: Option<Spanned<DeValue<'i>>>,
    pub smtp: Option<Spanned<DeValue<'i>>>,
}

impl Written<'_> {
    /// The names of `[notifiers.NAME]`, for references to them.
    pub fn notifier_names(&self) -> Vec<String> {
        match self.notifiers.as_ref().map(Spanned::get_ref) {
            Some(DeValue::Table(t)) => t.keys().map(|k| k.get_ref().to_string()).collect(),
            _ => Vec::new(),
        }
    }
}

pub(super) fn sections(
    c: &mut Collector,
    written: Written<'_>,
    outbox: Option<OutboxConfig>,
    silences: Option<Vec<SilenceConfig>>,
) -> Option<AlertingSections> {
    let smtp = match written.smtp {
        None => Some(None),
        Some(s) => read::<SmtpConfig>(c, Some(s)).map(Some),
    };
    let notifiers = notifiers(c, written.notifiers);
    let general = read::<AlertingConfig>(c, written.alerting);
    let stale_runs = general.as_ref().map_or(3, |g| g.stale_after_runs);
    let rules = rules(c, written.alerts, stale_runs);
    Some(AlertingSections {
        general: general?,
        rules: rules?,
        notifiers: notifiers?,
        smtp: smtp?,
        outbox: outbox?,
        silences: silences?,
    })
}

/// `[notifiers.NAME]`: each read on its own, with its name.
fn notifiers(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<BTreeMap<Name, NotifierConfig>> {
    let Some(value) = value else {
        return Some(BTreeMap::new());
    };
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        let message = "expected a table of named sections such as [sources.legacy]";
        c.at(span, message, None);
        return None;
    };
    let mut out = Some(BTreeMap::new());
    for (key, value) in table {
        let name = Spanned::new(key.span(), key.get_ref().to_string());
        if let Err(e) = Name::parse(name.get_ref()) {
            let hint = Some("names become metric labels and URL parts");
            c.at(name.span(), format!("notifier name {e}"), hint);
        }
        let (notifier, problems) = de::read_then(value, |t: NotifierText| t.typed(&name));
        record(c, problems);
        match (notifier.flatten(), &mut out) {
            (Some(n), Some(out)) => {
                out.insert(n.name.clone(), n);
            }
            _ => out = None,
        }
    }
    out
}

/// `[[alerts]]`: each read on its own; names are unique.
fn rules(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
    stale_runs: u32,
) -> Option<Vec<AlertRuleConfig>> {
    let mut names = HashSet::new();
    let mut out = Some(Vec::new());
    for item in items(c, "alerts", value) {
        let name_span = key_span(&item, "name");
        let Some(mut rule) = read::<AlertRuleConfig>(c, Some(item)) else {
            out = None;
            continue;
        };
        if !names.insert(rule.name.clone()) {
            let hint = Some("every rule needs its own name: it is the alertname label");
            let message = format!("alert `{}` is defined twice", rule.name);
            c.at(name_span.unwrap_or_default(), message, hint);
        }
        if let Condition::Stale { runs, .. } = &mut rule.condition {
            *runs = stale_runs;
        }
        if let Some(out) = &mut out {
            out.push(rule);
        }
    }
    out
}

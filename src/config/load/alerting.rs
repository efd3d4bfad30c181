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
use super::tables::{items, key_span, named, names_having, read};

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
        let names = names_having(self.notifiers.as_ref(), "type");
        names.into_iter().map(|(n, _)| n).collect()
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
    let read = |name: &Spanned<String>, value| {
        let (n, problems) = de::read_then(value, |t: NotifierText| t.typed(name));
        (n.flatten(), problems)
    };
    let list = named(c, "notifier", value, read).into_iter();
    list.map(|n| n.map(|n| (n.name.clone(), n))).collect()
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

//! Alerting config: what loads, and every mistake at its line.

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

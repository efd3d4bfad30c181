//! The user documentation stays true: the example config validates and sets
//! every key the loader accepts, `docs/configuration.md` documents exactly
//! those keys, and `docs/metrics.md` lists exactly the metric families that
//! `/metrics` serves, with their types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hypercare::config::checks::CheckKind;
use hypercare::metrics::Metrics;
use hypercare::results::{
    Details, FieldCompleteness, GroupCount, IntegrityDetails, Outcome, ReconcileDetails, RuleKind,
    RuleResult, StepOutcome, StepResult, WorkflowDetails,
};

/// Every key the config loader accepts, as `section.key` paths. `sources.NAME`
/// stands for any source; `reconcile` for every `[[reconcile]]` entry.
const KEYS: &[&str] = &[
    "server.listen",
    "server.public_url",
    "server.admin_token_env",
    "server.admin_token_file",
    "server.admin_user",
    "server.admin_password_env",
    "server.admin_password_file",
    "server.trusted_user_header",
    "server.trusted_proxies",
    "store.url",
    "store.url_env",
    "store.url_file",
    "store.retention",
    "store.max_connections",
    "scheduler.drain_timeout",
    "scheduler.default_timeout",
    "scheduler.lease",
    "scheduler.replica_id",
    "sources.NAME.url",
    "sources.NAME.url_env",
    "sources.NAME.url_file",
    "sources.NAME.max_connections",
    "sources.NAME.connect_timeout",
    "sources.NAME.statement_timeout",
    "sources.NAME.read_only",
    "reconcile.name",
    "reconcile.description",
    "reconcile.schedule",
    "reconcile.timeout",
    "reconcile.tolerance",
    "reconcile.max_groups",
    "reconcile.enabled",
    "reconcile.source",
    "reconcile.source.from",
    "reconcile.source.sql",
    "reconcile.target",
    "reconcile.target.from",
    "reconcile.target.sql",
    "integrity.name",
    "integrity.description",
    "integrity.schedule",
    "integrity.timeout",
    "integrity.enabled",
    "integrity.from",
    "integrity.sample_keys",
    "integrity.rules",
    "integrity.rules.name",
    "integrity.rules.kind",
    "integrity.rules.description",
    "integrity.rules.table",
    "integrity.rules.key",
    "integrity.rules.where",
    "integrity.rules.tolerance",
    "integrity.rules.person",
    "integrity.rules.probable",
    "integrity.rules.review",
    "integrity.rules.max_cluster_size",
    "integrity.rules.vetoes",
    "integrity.rules.lineage",
    "integrity.rules.legacy",
    "integrity.rules.legacy.from",
    "integrity.rules.legacy.table",
    "integrity.rules.legacy.key",
    "integrity.rules.legacy.person",
    "integrity.rules.match",
    "integrity.rules.column",
    "integrity.rules.ref_table",
    "integrity.rules.ref_column",
    "integrity.rules.ref_where",
    "integrity.rules.cast",
    "integrity.rules.fields",
    "integrity.rules.min_ratio",
    "integrity.rules.pattern",
    "integrity.rules.values",
    "integrity.rules.builtin",
    "integrity.rules.min",
    "integrity.rules.max",
    "integrity.rules.placeholders",
    "integrity.rules.mapping_table",
    "integrity.rules.mapping_column",
    "integrity.rules.mapping_where",
    "integrity.rules.max_age",
    "integrity.rules.clinic",
    "feedback.categories",
    "feedback.categories.id",
    "feedback.categories.label",
    "feedback.roles",
    "feedback.roles.id",
    "feedback.roles.label",
    "feedback.mrn_pattern",
    "feedback.retention",
    "feedback.rate_limit_per_minute",
    "feedback.max_body_bytes",
    "feedback.known_fixed_grace",
    "clinics.id",
    "clinics.name",
    "clinics.codes",
    "reconcile.compare",
    "integrity.rules.person",
    "reconcile.max_keys",
    "reconcile.bisection_factor",
    "reconcile.bisection_threshold",
    "reconcile.grace",
    "reconcile.drift_keys",
    "reconcile.lag",
    "reconcile.full_sweep",
    "reconcile.sort_dir",
    "reconcile.sort_memory_mb",
    "reconcile.source.table",
    "reconcile.source.key",
    "reconcile.source.columns",
    "reconcile.source.where",
    "reconcile.source.updated",
    "reconcile.source.expressions",
    "reconcile.target.table",
    "reconcile.target.key",
    "reconcile.target.columns",
    "reconcile.target.where",
    "reconcile.target.updated",
    "reconcile.target.expressions",
    "reconcile.source.clinic",
    "reconcile.target.clinic",
    "sources.NAME.fhir",
    "sources.NAME.token_env",
    "sources.NAME.token_file",
    "sources.NAME.username",
    "sources.NAME.password_env",
    "sources.NAME.password_file",
    "sources.NAME.max_retries",
    "sources.NAME.max_response_mb",
    "sources.NAME.bulk",
    "sources.NAME.bulk_group",
    "reconcile.source.resource",
    "reconcile.source.params",
    "reconcile.source.group_param",
    "reconcile.source.groups",
    "reconcile.target.resource",
    "reconcile.target.params",
    "reconcile.target.group_param",
    "reconcile.target.groups",
    "sources.NAME.token_url",
    "sources.NAME.client_id",
    "sources.NAME.client_secret_env",
    "sources.NAME.client_secret_file",
    "sources.NAME.private_key_file",
    "sources.NAME.key_id",
    "sources.NAME.scope",
    "workflows.name",
    "workflows.description",
    "workflows.schedule",
    "workflows.timeout",
    "workflows.enabled",
    "workflows.target",
    "workflows.template",
    "workflows.baseline",
    "workflows.baseline_p50",
    "workflows.baseline_p95",
    "workflows.baseline_window",
    "workflows.step_timeout",
    "workflows.max_response_bytes",
    "workflows.clinic",
    "workflows.slo_latency",
    "workflows.slo_objective",
    "workflows.vars",
    "workflows.pools",
    "workflows.steps",
    "workflows.steps.name",
    "workflows.steps.method",
    "workflows.steps.path",
    "workflows.steps.query",
    "workflows.steps.headers",
    "workflows.steps.body",
    "workflows.steps.from",
    "workflows.steps.sql",
    "workflows.steps.params",
    "workflows.steps.extract",
    "workflows.steps.timeout",
    "workflows.steps.expect",
    "workflows.steps.expect.status",
    "workflows.steps.expect.body_contains",
    "workflows.steps.expect.json",
    "workflows.steps.expect.count",
    "workflows.steps.expect.min_count",
    "workflows.steps.expect.max_duration",
    "workflows.steps.mllp",
    "workflows.steps.message",
    "workflows.steps.tls",
    "workflows.steps.ca_file",
    "workflows.steps.expect.ack",
    "workflow_metrics.buckets",
    "alerting.evaluation_interval",
    "alerting.repeat_interval",
    "alerting.resend_interval",
    "alerting.default_rules",
    "alerting.default_for",
    "alerting.default_notify",
    "alerting.stale_after_runs",
    "alerting.discrepancy_threshold",
    "alerting.blocker_threshold",
    "alerting.blocker_window",
    "alerting.send_resolved",
    "alerts.name",
    "alerts.condition",
    "alerts.checks",
    "alerts.kind",
    "alerts.threshold",
    "alerts.window",
    "alerts.long_window",
    "alerts.short_window",
    "alerts.objective",
    "alerts.stale_after",
    "alerts.for",
    "alerts.severity",
    "alerts.labels",
    "alerts.summary",
    "alerts.description",
    "alerts.runbook_url",
    "alerts.dashboard_url",
    "alerts.notify",
    "notifiers.NAME.type",
    "notifiers.NAME.to",
    "notifiers.NAME.url",
    "notifiers.NAME.url_env",
    "notifiers.NAME.url_file",
    "notifiers.NAME.format",
    "notifiers.NAME.timeout",
    "notifiers.NAME.send_resolved",
    "smtp.host",
    "smtp.port",
    "smtp.tls",
    "smtp.from",
    "smtp.username",
    "smtp.password_env",
    "smtp.password_file",
    "smtp.timeout",
    "smtp.ca_file",
    "outbox.poll_interval",
    "outbox.lease",
    "outbox.max_attempts",
    "outbox.backoff_initial",
    "outbox.backoff_max",
    "outbox.retention",
    "outbox.mail_dir",
    "silences.alertname",
    "silences.labels",
    "silences.starts_at",
    "silences.ends_at",
    "silences.cron",
    "silences.duration",
    "silences.comment",
    "documents.name",
    "documents.description",
    "documents.schedule",
    "documents.timeout",
    "documents.enabled",
    "documents.inventory",
    "documents.inventory.from",
    "documents.inventory.sql",
    "documents.inventory.params",
    "documents.links",
    "documents.links.from",
    "documents.links.patients_sql",
    "documents.links.encounters_sql",
    "documents.storage",
    "documents.storage.base",
    "documents.storage.hash_algorithm",
    "documents.storage.s3_endpoint",
    "documents.storage.s3_region",
    "documents.storage.s3_access_key_id_env",
    "documents.storage.s3_secret_access_key_env",
    "documents.storage.s3_allow_http",
    "documents.storage.allowed_hosts",
    "documents.storage.allowed_buckets",
    "documents.storage.allowed_folders",
    "documents.sample",
    "documents.content_share",
    "documents.cycle",
    "documents.concurrency",
    "documents.rate_per_host",
    "documents.request_timeout",
    "documents.max_content_mb",
    "documents.kinds",
    "documents.skip_status",
    "documents.tolerance",
    "documents.max_failures",
    "stabilization.contingency_owner",
    "stabilization.escalation",
    "stabilization.evaluation_interval",
    "stabilization.waves",
    "stabilization.criteria",
    "stabilization.rollback",
    "stabilization.waves.name",
    "stabilization.waves.go_live",
    "stabilization.waves.clinics",
    "stabilization.waves.checks",
    "stabilization.waves.baseline_days",
    "stabilization.criteria.name",
    "stabilization.criteria.kind",
    "stabilization.criteria.days",
    "stabilization.criteria.at_least",
    "stabilization.criteria.max_ratio",
    "stabilization.criteria.max_stuck",
    "stabilization.criteria.older_than",
    "stabilization.rollback.name",
    "stabilization.rollback.kind",
    "stabilization.rollback.above",
    "stabilization.rollback.below",
    "stabilization.rollback.for",
    "stabilization.rollback.within",
    "digests.name",
    "digests.schedule",
    "digests.recipients",
    "digests.clinics",
    "digests.subject",
    "digests.send_window",
    "digests.blocker_text",
    "handoffs.name",
    "handoffs.description",
    "handoffs.schedule",
    "handoffs.timeout",
    "handoffs.enabled",
    "handoffs.within",
    "handoffs.look_back",
    "handoffs.tolerance",
    "handoffs.events_called",
    "handoffs.arrival_called",
    "handoffs.max_keys",
    "handoffs.from",
    "handoffs.from.from",
    "handoffs.from.sql",
    "handoffs.to",
    "handoffs.to.from",
    "handoffs.to.sql",
];

/// Keys whose value is a table of user-chosen names (column names): the
/// names inside are values, not config keys.
const MAP_KEYS: &[&str] = &[
    "reconcile.compare",
    "integrity.rules.person",
    "integrity.rules.legacy.person",
    "reconcile.source.expressions",
    "reconcile.target.expressions",
    "reconcile.source.groups",
    "reconcile.target.groups",
    "workflows.vars",
    "workflows.pools",
    "workflows.steps.query",
    "workflows.steps.headers",
    "workflows.steps.extract",
    "workflows.steps.expect.json",
    "alerts.labels",
    "silences.labels",
    "documents.kinds",
];

/// Which section each raw config struct in `src/config/raw.rs` is read into.
const RAW_STRUCTS: &[(&str, &[&str])] = &[
    // The fields of `person = { … }` are documented in the `person` row and
    // checked through MAP_KEYS above, like the other column maps.
    ("RawPerson", &[]),
    ("RawLegacy", &["integrity.rules.legacy"]),
    ("RawServer", &["server"]),
    ("RawStore", &["store"]),
    ("RawScheduler", &["scheduler"]),
    ("RawSource", &["sources.NAME"]),
    ("RawReconcile", &["reconcile"]),
    ("RawSide", &["reconcile.source", "reconcile.target"]),
    ("RawFeedback", &["feedback"]),
    ("RawChoice", &["feedback.categories", "feedback.roles"]),
    ("RawClinic", &["clinics"]),
    ("RawIntegrity", &["integrity"]),
    ("RawIntegrityRule", &["integrity.rules"]),
    ("RawWorkflow", &["workflows"]),
    ("RawStep", &["workflows.steps"]),
    ("RawExpect", &["workflows.steps.expect"]),
    ("RawWorkflowMetrics", &["workflow_metrics"]),
    ("RawAlerting", &["alerting"]),
    ("RawAlert", &["alerts"]),
    ("RawNotifier", &["notifiers.NAME"]),
    ("RawSmtp", &["smtp"]),
    ("RawOutbox", &["outbox"]),
    ("RawSilence", &["silences"]),
    ("RawDocuments", &["documents"]),
    ("RawDocInventory", &["documents.inventory"]),
    ("RawDocLinks", &["documents.links"]),
    ("RawDocStorage", &["documents.storage"]),
    ("RawStabilization", &["stabilization"]),
    ("RawWave", &["stabilization.waves"]),
    ("RawCriterion", &["stabilization.criteria"]),
    ("RawRollback", &["stabilization.rollback"]),
    ("RawDigest", &["digests"]),
];

/// Keys the example shows commented out because the key it sets excludes them.
const SHOWN_COMMENTED: &[&str] = &[
    "store.url",
    "store.url_file",
    "server.admin_token_file",
    "server.admin_password_file",
    "smtp.password_file",
];

const EXAMPLE: &str = "config/hypercare.example.toml";

/// A CA certificate for the example's `[smtp] ca_file` (made with openssl; no key kept).
const SMTP_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBjjCCATOgAwIBAgIUQdm7iwzHidS0u9os0TB1pbknbBIwCgYIKoZIzj0EAwIw\nHDEaMBgGA1UEAwwRaHlwZXJjYXJlIHRlc3QgQ0EwHhcNMjYxMTI2MDIwNzU3WhcN\nMzYxMTIzMDIwNzU3WjAcMRowGAYDVQQDDBFoeXBlcmNhcmUgdGVzdCBDQTBZMBMG\nByqGSM49AgEGCCqGSM49AwEHA0IABN7aIjnScIUBgnioj9QLO4VGFCbYxqNO1XBy\nkbvqXJo40WQ41anInRmSk4cFdSIsFcdw6Fy8yyTZRvb8JxTM37WjUzBRMB0GA1Ud\nDgQWBBQK4qGqn0PUeNF5d+AHrvEsz97zgDAfBgNVHSMEGDAWgBQK4qGqn0PUeNF5\nd+AHrvEsz97zgDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDj\nb1ZsGppuD7age+hSCWdl7imSfjwhwQ9V84gPzhVqOQIhAL3hGZvcknoxle5x5e0r\n4NUrrNovdS7qYn0s9lk3iMrq\n-----END CERTIFICATE-----\n";

/// Whether `# name = …` appears in `[section]` of a TOML text.
fn commented_in_section(text: &str, section: &str, name: &str) -> bool {
    let header = format!("[{section}]");
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| l.trim().strip_prefix('#'))
        .any(|l| {
            l.trim_start()
                .strip_prefix(name)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
}

fn repo_file(path: &str) -> (PathBuf, String) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    (full, text)
}

/// The `${VAR}` names the string values of a TOML text use (comments and
/// `$${` escapes aside).
fn env_vars_named(text: &str) -> BTreeSet<String> {
    fn walk(value: &toml::Value, names: &mut BTreeSet<String>) {
        match value {
            toml::Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(pos) = rest.find("${") {
                    let escaped = pos > 0 && rest.as_bytes()[pos - 1] == b'$';
                    let after = &rest[pos + 2..];
                    let end = after.find('}').unwrap_or(after.len());
                    if !escaped {
                        names.insert(after[..end].to_string());
                    }
                    rest = &after[end..];
                }
            }
            toml::Value::Array(items) => items.iter().for_each(|v| walk(v, names)),
            toml::Value::Table(t) => {
                // `*_env` keys name a variable too.
                for (k, v) in t {
                    if let (true, Some(name)) = (k.ends_with("_env"), v.as_str()) {
                        names.insert(name.to_string());
                    }
                    walk(v, names);
                }
            }
            _ => {}
        }
    }
    let table: toml::Table = toml::from_str(text).expect("the example is TOML");
    let mut names = BTreeSet::new();
    table.values().for_each(|v| walk(v, &mut names));
    names
}

/// String values of a TOML text that are URLs with a password not taken from `${VAR}`.
fn literal_passwords(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut strings = Vec::new();
    fn walk<'a>(value: &'a toml::Value, out: &mut Vec<&'a str>) {
        match value {
            toml::Value::String(s) => out.push(s),
            toml::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            toml::Value::Table(t) => t.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let table: toml::Table = toml::from_str(text).expect("the example is TOML");
    table.values().for_each(|v| walk(v, &mut strings));
    for s in strings {
        let Some((_, rest)) = s.split_once("://") else {
            continue;
        };
        let authority = rest.split('/').next().unwrap_or("");
        let Some((userinfo, _)) = authority.rsplit_once('@') else {
            continue;
        };
        if let Some((_, password)) = userinfo.split_once(':')
            && !password.starts_with("${")
        {
            found.push(s.to_string());
        }
    }
    found
}

/// The keys a TOML table sets, as paths in the form of [`KEYS`].
fn keys_set(table: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (key, value) in table {
        let path = match prefix {
            "" => key.clone(),
            "sources" => "sources.NAME".to_string(),
            "notifiers" => "notifiers.NAME".to_string(),
            p => format!("{p}.{key}"),
        };
        let is_section = prefix.is_empty() || prefix == "sources" || prefix == "notifiers";
        if !is_section {
            out.insert(path.clone());
        }
        match value {
            toml::Value::Table(_) if MAP_KEYS.contains(&path.as_str()) => {}
            toml::Value::Table(t) => keys_set(t, &path, out),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        keys_set(t, &path, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The keys `docs/configuration.md` documents: first-column backticked names
/// of the table rows under the headings `` ## `[section]` ``.
fn keys_documented(doc: &str) -> BTreeSet<String> {
    let sections = [
        ("[server]", "server"),
        ("[store]", "store"),
        ("[scheduler]", "scheduler"),
        ("[sources.NAME]", "sources.NAME"),
        ("[[reconcile]]", "reconcile"),
        ("[feedback]", "feedback"),
        ("[[clinics]]", "clinics"),
        ("[[integrity]]", "integrity"),
        ("[[integrity.rules]]", "integrity.rules"),
        ("[[workflows]]", "workflows"),
        ("[[workflows.steps]]", "workflows.steps"),
        ("[workflows.steps.expect]", "workflows.steps.expect"),
        ("[workflow_metrics]", "workflow_metrics"),
        ("[alerting]", "alerting"),
        ("[[alerts]]", "alerts"),
        ("[notifiers.NAME]", "notifiers.NAME"),
        ("[smtp]", "smtp"),
        ("[outbox]", "outbox"),
        ("[[silences]]", "silences"),
        ("[[documents]]", "documents"),
        ("[documents.inventory]", "documents.inventory"),
        ("[documents.links]", "documents.links"),
        ("[documents.storage]", "documents.storage"),
        ("[stabilization]", "stabilization"),
        ("[[stabilization.waves]]", "stabilization.waves"),
        ("[[stabilization.criteria]]", "stabilization.criteria"),
        ("[[stabilization.rollback]]", "stabilization.rollback"),
        ("[[digests]]", "digests"),
        ("[[handoffs]]", "handoffs"),
        ("[handoffs.from]", "handoffs.from"),
        ("[handoffs.to]", "handoffs.to"),
    ];
    let mut out = BTreeSet::new();
    let mut current: Option<&str> = None;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let heading = heading.trim().trim_matches('`');
            current = sections
                .iter()
                .find(|(h, _)| *h == heading)
                .map(|(_, prefix)| *prefix);
            continue;
        }
        if let (Some(prefix), Some(key)) = (current, first_cell_code(line)) {
            out.insert(format!("{prefix}.{key}"));
        }
    }
    out
}

/// `name` from a table row that starts `| `name` |`.
fn first_cell_code(line: &str) -> Option<&str> {
    let cell = line.trim().strip_prefix('|')?.split('|').next()?.trim();
    let name = cell.strip_prefix('`')?.strip_suffix('`')?;
    (!name.is_empty() && !name.contains('`')).then_some(name)
}

/// Field names of each `pub struct NAME { pub field: … }` in a Rust file.
fn struct_fields(src: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in src.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub struct ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name.clone(), Vec::new());
            current = rest.contains('{').then_some(name);
        } else if line.starts_with('}') {
            current = None;
        } else if let (Some(s), Some(field)) = (&current, line.strip_prefix("pub "))
            && let Some((name, _)) = field.split_once(':')
        {
            // `r#where` is the key `where`.
            out.get_mut(s)
                .expect("struct seen")
                .push(name.trim().trim_start_matches("r#").to_string());
        }
    }
    out
}

#[test]
fn example_config_validates() {
    let (path, text) = repo_file(EXAMPLE);
    let credentials = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        credentials.path().join("billing-db-url"),
        "mysql://hypercare_ro:billing-pw@billing-db.internal:3306/billing\n",
    )
    .expect("write the billing URL file");
    for (file, secret) in [
        ("lab-fhir-token", "lab-token\n"),
        ("telehealth-fhir-password", "tele-pw\n"),
        ("legacy-api-client-secret", "legacy-secret\n"),
        (
            "ehr-smart-key.pem",
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
        ),
        (
            "tickets-webhook-url",
            "https://tickets.example.org/hooks/hypercare\n",
        ),
        ("smtp-ca.pem", SMTP_CA_PEM),
        ("engine-ca.pem", SMTP_CA_PEM),
    ] {
        std::fs::write(credentials.path().join(file), secret).expect("write a secret file");
    }
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for name in env_vars_named(&text) {
        env.insert(name, "value-for-test".to_string());
    }
    env.insert(
        "CREDENTIALS_DIRECTORY".into(),
        credentials.path().display().to_string(),
    );
    env.insert(
        "LEGACY_DB_URL".into(),
        "mysql://hypercare_ro:legacy-pw@legacy-db.internal:3306/openemr".into(),
    );
    env.insert(
        "CHAT_WEBHOOK_URL".into(),
        "https://chat.example.org/hooks/T000/B000/secret".into(),
    );
    env.insert(
        "HYPERCARE_STORE_URL".into(),
        "postgres://hypercare:store-pw@store-db.internal:5432/hypercare".into(),
    );
    env.insert(
        "HYPERCARE_ADMIN_TOKEN".into(),
        "a-long-random-token-for-test".into(),
    );
    env.insert(
        "HYPERCARE_ADMIN_PASSWORD".into(),
        "a-password-for-test".into(),
    );
    let env_fn = |name: &str| env.get(name).cloned();

    let config = hypercare::config::parse(&text, &path, &env_fn)
        .unwrap_or_else(|e| panic!("{EXAMPLE} does not validate:\n{e}"));
    assert!(
        config.store.is_postgres(),
        "the store URL comes from the environment"
    );
    assert_eq!(config.sources.len(), 3);
    assert!(config.reconcile.iter().any(|r| !r.enabled));
    let billing = config.sources.get("billing").expect("source `billing`");
    assert!(
        billing.url.expose().ends_with("/billing"),
        "url_file drops the newline"
    );
    assert!(config.server.admin.token.is_some() && config.server.admin.basic.is_some());
    assert!(!config.clinics.is_empty());
    assert!(config.feedback.mrn_pattern.is_some());
    let leaked = literal_passwords(&text);
    assert!(
        leaked.is_empty(),
        "the example holds a literal password in {leaked:?}: use ${{VAR}}, url_env or url_file"
    );

    // Every variable the example names is needed: without it, validation fails.
    let mut needed = env_vars_named(&text);
    // Named by `url_env`, not `${…}`.
    needed.extend([
        "LEGACY_DB_URL".to_string(),
        "HYPERCARE_STORE_URL".to_string(),
        "HYPERCARE_ADMIN_TOKEN".to_string(),
        "HYPERCARE_ADMIN_PASSWORD".to_string(),
    ]);
    for missing in needed {
        let without = |name: &str| (name != missing).then(|| env.get(name).cloned()).flatten();
        let errors = hypercare::config::parse(&text, &path, &without)
            .expect_err("a named variable is missing");
        assert!(
            errors.to_string().contains(&missing),
            "the error should name `{missing}`:\n{errors}"
        );
    }

    // Every accepted key is set by the example and documented, and nothing else is.
    let (_, doc) = repo_file("docs/configuration.md");
    let keys: BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
    let table: toml::Table = toml::from_str(&text).expect("the example is TOML");
    let mut in_example = BTreeSet::new();
    keys_set(&table, "", &mut in_example);
    // `[store]` takes only one of its URL keys: the example sets one and shows
    // the others as commented-out lines.
    for key in SHOWN_COMMENTED {
        let (section, name) = key.split_once('.').expect("section.key");
        assert!(
            commented_in_section(&text, section, name),
            "the example should show `# {name} = …` in [{section}]"
        );
        in_example.insert(key.to_string());
    }
    let documented = keys_documented(&doc);
    let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    assert_eq!(
        diff(&keys, &in_example),
        Vec::<String>::new(),
        "keys the example does not set"
    );
    assert_eq!(
        diff(&in_example, &keys),
        Vec::<String>::new(),
        "keys the example sets that the loader does not accept"
    );
    assert_eq!(
        diff(&keys, &documented),
        Vec::<String>::new(),
        "keys docs/configuration.md does not document"
    );
    assert_eq!(
        diff(&documented, &keys),
        Vec::<String>::new(),
        "keys docs/configuration.md documents that the loader does not accept"
    );

    // And KEYS follows the loader: every field of the raw config structs is in it.
    let (_, raw) = repo_file("src/config/raw.rs");
    for (name, fields) in struct_fields(&raw) {
        let Some((_, prefixes)) = RAW_STRUCTS.iter().find(|(s, _)| *s == name) else {
            panic!(
                "src/config/raw.rs has a new struct `{name}`: add its section to RAW_STRUCTS and its keys to KEYS, the example and docs/configuration.md"
            );
        };
        for prefix in *prefixes {
            for field in &fields {
                let key = format!("{prefix}.{field}");
                assert!(
                    keys.contains(&key),
                    "`{key}` ({name}.{field}) is accepted by the loader but missing from KEYS, the example or the docs"
                );
            }
        }
    }
}

/// Metric families in an exposition, with their types, from `# TYPE` lines.
fn families(exposition: &str) -> BTreeMap<String, String> {
    exposition
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, kind)| (name.to_string(), kind.trim().to_string()))
        .collect()
}

/// Metric names and types from `docs/metrics.md`: table rows whose first cell
/// is a backticked name and whose second cell is a metric type.
fn families_documented(doc: &str) -> BTreeMap<String, String> {
    const TYPES: [&str; 4] = ["counter", "gauge", "histogram", "summary"];
    doc.lines()
        .filter_map(|line| {
            let name = first_cell_code(line)?;
            let kind = line
                .trim()
                .trim_start_matches('|')
                .split('|')
                .nth(1)?
                .trim();
            TYPES
                .contains(&kind)
                .then(|| (name.to_string(), kind.to_string()))
        })
        .collect()
}

/// An integrity result with a rule of every kind, so every integrity family shows.
fn integrity_details() -> Details {
    let rule = |name: &str, kind: RuleKind, problems: i64| {
        let mut r = RuleResult::new(name, kind, "0".into());
        r.status = Outcome::Fail;
        r.problems = Some(problems);
        r.rows_checked = Some(100);
        r
    };
    let mut dups = rule("duplicate_patients", RuleKind::Duplicates, 3);
    dups.records_involved = Some(7);
    let mut complete = rule("demographics", RuleKind::Completeness, 2);
    complete.fields = vec![FieldCompleteness {
        field: "given".into(),
        missing: 2,
        ratio: 0.98,
        below_threshold: true,
    }];
    let mut probable = rule(
        "probable_duplicate_patients",
        RuleKind::ProbableDuplicates,
        2,
    );
    probable.review_pairs = Some(4);
    probable.migration_classes = Some(hypercare::results::MigrationClasses {
        created_by_migration: 1,
        pre_existing: 1,
        since_go_live: 0,
        overlays: Some(1),
        sample_overlays: Vec::new(),
    });
    let mut fresh = rule("encounter_feed", RuleKind::Freshness, 1);
    fresh.rows_checked = None;
    fresh.age_seconds = Some(7200);
    // Orphans counted per clinic (`clinic = "column"`).
    let east = [("appointment_orphans".to_string(), 2)]
        .into_iter()
        .collect();
    Details::Integrity(IntegrityDetails {
        by_clinic: [("east".to_string(), east)].into_iter().collect(),
        rules: vec![
            dups,
            probable,
            rule("appointment_orphans", RuleKind::Orphans, 2),
            complete,
            rule("npi", RuleKind::Validity, 1),
            fresh,
        ],
    })
}

/// A documents result with a failure and a skipped status, so every documents family shows.
fn documents_details() -> Details {
    let mut kind = hypercare::results::KindFigures {
        inventory: 1200,
        checked: 100,
        content_checked: 10,
        failed: 2,
        coverage: 0.4,
        content_coverage: 0.05,
        ..Default::default()
    };
    kind.by_reason
        .insert(hypercare::results::Reason::NotFound, 2);
    let mut d = hypercare::results::DocumentsDetails::default();
    d.kinds.insert("lab_report".into(), kind);
    d.skipped.insert("superseded".into(), 3);
    let mut east = hypercare::results::DocumentsSlice::default();
    east.add(Some(hypercare::results::Reason::NotFound));
    d.by_clinic.insert("east".into(), east);
    Details::Documents(d)
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let metrics = Metrics::new("sqlite");
    metrics.set_clinics(&["east".to_string(), "north".to_string()]);
    let groups: BTreeMap<String, GroupCount> = ["east", "north", "south"]
        .into_iter()
        .map(|g| {
            let c = GroupCount {
                source: 10,
                target: 9,
                difference: -1,
                beyond_tolerance: true,
            };
            (g.to_string(), c)
        })
        .collect();
    let details = Details::Reconcile(ReconcileDetails {
        source_count: Some(30),
        target_count: Some(27),
        groups,
        tolerance: Some("0".into()),
        error_side: None,
        error: None,
        by_clinic: [(
            "east".to_string(),
            hypercare::results::ReconcileSlice {
                keyed: Some(hypercare::results::KeyedSlice {
                    missing: 3,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )]
        .into(),
        keyed: Some(Box::new(hypercare::results::KeyedDiff {
            missing: 3,
            drift: Some(hypercare::results::Drift::default()),
            sweep: Some(hypercare::results::Sweep::default()),
            ..Default::default()
        })),
    });
    let kind = CheckKind::Reconcile;
    metrics.record_run(
        "patients_by_clinic",
        kind,
        Outcome::Fail,
        Duration::from_millis(40),
    );
    metrics.show_result(
        "patients_by_clinic",
        kind,
        Outcome::Fail,
        chrono::Utc::now(),
        &details,
        2,
    );
    metrics.record_run(
        "providers_total",
        kind,
        Outcome::Pass,
        Duration::from_millis(5),
    );
    metrics.show_result(
        "providers_total",
        kind,
        Outcome::Pass,
        chrono::Utc::now(),
        &Details::None {},
        50,
    );
    metrics.show_result(
        "target_integrity",
        CheckKind::Integrity,
        Outcome::Fail,
        chrono::Utc::now(),
        &integrity_details(),
        50,
    );
    metrics.show_result(
        "target_documents",
        CheckKind::Documents,
        Outcome::Fail,
        chrono::Utc::now(),
        &documents_details(),
        50,
    );
    let mut handoff = hypercare::results::HandoffDetails {
        stuck: 2,
        p50_seconds: Some(60),
        latency_counts: vec![1; 11],
        ..Default::default()
    };
    handoff.by_clinic.insert("east".into(), Default::default());
    metrics.show_result(
        "visits_billed",
        CheckKind::Handoff,
        Outcome::Fail,
        chrono::Utc::now(),
        &Details::Handoff(handoff),
        50,
    );
    metrics.count_skip("patients_by_clinic", "overlap");
    metrics.count_store_error("claim");
    metrics.count_reload(true);
    let feedback = hypercare::feedback::FeedbackMetrics::new(metrics.registry())
        .expect("feedback metrics register");
    hypercare::feedback::known::KnownMetrics::new(
        metrics.registry(),
        &["east".to_string()],
        &["nurse".to_string()],
    )
    .expect("known-issue metrics register");
    feedback.count_submission(
        "north",
        "notes_slow",
        hypercare::feedback::Severity::SlowsWork,
        true,
    );
    feedback.count_rejection(hypercare::feedback::Rejection::Csrf);
    feedback.count_phi_warning();
    feedback.count_redaction(hypercare::feedback::Kind::Mrn);
    feedback.count_transition("resolved");
    feedback.show_open(&[("slows_work".to_string(), 1)]);
    let alerts =
        hypercare::alerts::AlertMetrics::new(metrics.registry()).expect("alert metrics register");
    alerts.count_transition("check_failing", "firing");
    alerts.show(
        &[("check_failing".to_string(), "critical".to_string())],
        &[(
            (
                "check_failing".to_string(),
                "critical".to_string(),
                "firing",
            ),
            1,
        )],
    );
    alerts.show_intervals(&[(
        "patients_by_clinic".to_string(),
        "reconcile".to_string(),
        Some(300_000),
    )]);
    let notify =
        hypercare::notify::NotifyMetrics::new(metrics.registry()).expect("notify metrics register");
    notify.count("smtp", "sent");
    notify.show(&[], &["smtp".to_string()], 0);
    let stab = hypercare::stabilization::StabilizationMetrics::new(metrics.registry())
        .expect("stabilization metrics register");
    hypercare::digest::DigestMetrics::new(metrics.registry())
        .expect("digest metrics register")
        .sent("morning", 2);
    stab.show(&stabilization_scorecard());

    let workflow = Details::Workflow(WorkflowDetails {
        outcome: Some(StepOutcome::Ok),
        total_ms: 120.0,
        steps: vec![StepResult {
            name: "search_patient".into(),
            outcome: StepOutcome::Ok,
            duration_ms: Some(120.0),
            status: Some(200),
            count: Some(1),
            error: None,
        }],
        slo_good: Some(true),
        ..Default::default()
    });
    metrics.record_details("open_chart", &workflow);
    let w = metrics.workflows();
    w.show_burn("open_chart", 0.99, &[("5m", Some(0.5))]);
    w.show_latency("open_chart", "target", "0.5", Some(0.12));
    w.show_ratio("open_chart", "0.5", Some(1.2));

    let text = metrics.render();
    for sample in [
        r#"hypercare_reconcile_difference_records{check="patients_by_clinic",group="_total"} -3"#,
        r#"hypercare_reconcile_source_records{check="patients_by_clinic",group="_other"} 10"#,
        r#"hypercare_check_status{check="patients_by_clinic",kind="reconcile",status="fail"} 1"#,
        r#"hypercare_integrity_problems{check="target_integrity",kind="duplicates",rule="duplicate_patients"} 3"#,
        r#"hypercare_integrity_completeness_ratio{check="target_integrity",field="given",rule="demographics"} 0.98"#,
        r#"hypercare_integrity_newest_age_seconds{check="target_integrity",rule="encounter_feed"} 7200"#,
    ] {
        assert!(
            text.lines().any(|l| l == sample),
            "expected `{sample}` in:\n{text}"
        );
    }

    let served = families(&text);
    let (_, doc) = repo_file("docs/metrics.md");
    let documented = families_documented(&doc);
    for (name, kind) in &served {
        assert_eq!(
            documented.get(name),
            Some(kind),
            "`{name}` ({kind}) is served but not in docs/metrics.md with that type"
        );
    }
    for (name, kind) in &documented {
        // The process collector is registered on Linux only.
        if cfg!(not(target_os = "linux")) && name.starts_with("process_") {
            continue;
        }
        assert_eq!(
            served.get(name),
            Some(kind),
            "docs/metrics.md lists `{name}` ({kind}) but /metrics does not serve it"
        );
    }
}

fn stabilization_scorecard() -> hypercare::derive::scorecard::Scorecard {
    use hypercare::derive::scorecard::{
        ClinicCard, CriterionState, Figures, Scorecard, State, TriggerState,
    };
    let criterion = CriterionState {
        name: "no_drift".into(),
        state: State::Unknown,
        value: None,
        detail: String::new(),
    };
    Scorecard {
        at_ms: 0,
        clinics: vec![ClinicCard {
            clinic: "north".into(),
            clinic_name: "North".into(),
            wave: "wave1".into(),
            go_live: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            day: 3,
            criteria: vec![criterion.clone()],
            exit_ready: false,
            triggers: vec![TriggerState {
                name: "patients_missing".into(),
                armed: true,
                breached: true,
                value: Some(0.02),
                evidence: String::new(),
            }],
            figures: Figures::default(),
            signals: Default::default(),
        }],
        overall: vec![criterion],
        exit_ready: false,
        day: 3,
        unowned: None,
    }
}

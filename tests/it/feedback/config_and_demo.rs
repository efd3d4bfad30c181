//! Feedback config mistakes are reported with their lines; the demo carries
//! seeded reports once.

use std::path::Path;

use hypercare::config::parse;

const MISTAKES: &str = r#"[server]
admin_token_env = "SHORT_TOKEN"
trusted_user_header = "X-Forwarded-User"

[feedback]
mrn_pattern = '\bE(\d{8}\b'
rate_limit_per_minute = 0
max_body_bytes = 100
categories = [{ id = "Notes", label = "Notes" }, { id = "dup", label = "a" }, { id = "dup", label = "b" }]

[[clinics]]
id = "north"
name = "North"

[[clinics]]
id = "north"
name = ""
"#;

#[test]
fn feedback_clinic_and_admin_mistakes_are_each_reported_at_their_line() {
    let env = |name: &str| (name == "SHORT_TOKEN").then(|| "abc".to_string());
    let errors = parse(MISTAKES, Path::new("hc.toml"), &env).expect_err("invalid");
    let text = errors.to_string();
    for (line, what) in [
        (2, "shorter than 16 characters"),
        (3, "trusted_user_header needs trusted_proxies"),
        (6, "mrn_pattern is not a regular expression"),
        (7, "must be at least 1"),
        (8, "max_body_bytes must be at least 4096"),
        (9, "category name"),
        (16, "clinic `north` is listed twice"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("hc.toml:{line}:")) && l.contains(what)),
            "expected line {line}: {what} in:\n{text}"
        );
    }
    assert!(text.contains("category `dup` is listed twice"), "{text}");
    assert!(!text.contains("abc"), "the token leaked:\n{text}");
}

#[test]
fn an_mrn_pattern_that_matches_nothing_at_all_is_refused() {
    let text = "[feedback]\nmrn_pattern = '\\d*'\n";
    let errors = parse(text, Path::new("hc.toml"), &|_| None).expect_err("matches empty text");
    assert!(
        errors.to_string().contains("matches empty text"),
        "{errors}"
    );
}

#[tokio::test]
async fn the_demo_has_clinics_and_seeded_reports_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = hypercare::demo::prepare(dir.path(), "127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(config.clinics.len(), 5);
    assert!(
        config.server.admin.basic.is_some(),
        "the demo can sign in to triage"
    );
    hypercare::demo::prepare(dir.path(), "127.0.0.1:0")
        .await
        .unwrap();
    let store = hypercare::store::Store::open(&config.store).await.unwrap();
    assert_eq!(
        store.count_feedback().await.unwrap(),
        12,
        "seeded once, not on every start"
    );
    let items = store.list_feedback(&Default::default()).await.unwrap();
    assert!(
        items.iter().any(|i| i.status == "resolved") && items.iter().any(|i| i.status == "new")
    );
    assert!(
        items.iter().any(|i| i.text.contains("[MRN removed]")),
        "the seeded MRN went through the guard"
    );
    assert!(!items.iter().any(|i| i.text.contains("10000007")));
    // Two known issues: one with a workaround (from the search report), one
    // fixed ten days ago that north's billing staff still tap.
    let known = store.list_known(None, false).await.unwrap();
    assert_eq!(known.len(), 2, "seeded once");
    let grace = 3 * 86_400_000;
    let views: Vec<_> = known
        .into_iter()
        .map(|k| hypercare::feedback::known::KnownIssue::from_row(k, grace))
        .collect();
    let search = views
        .iter()
        .find(|k| k.status == "workaround_available")
        .unwrap();
    assert_eq!(search.reporters, 1);
    let claims = views.iter().find(|k| k.status == "fixed").unwrap();
    assert!(claims.still_worked_around && claims.clinics == ["east", "north"]);
    // Per clinic: north's billing staff still work around it, east's do
    // not; east's front desk asks 3 training questions this week, 1 before.
    let now = chrono::Utc::now().timestamp_millis();
    let staff = hypercare::derive::staff::StaffFacts::load(&store, now, grace)
        .await
        .unwrap();
    let north = staff.clinic("north");
    assert_eq!(north.worked_around.len(), 1);
    assert_eq!(north.worked_around[0].signals, 3);
    assert!(north.worked_around[0].words(now).starts_with(&format!(
        "#{} Claims did not reach the clearinghouse: fixed 10 days ago; 3 taps",
        claims.id
    )));
    let east = staff.clinic("east");
    assert!(east.worked_around.is_empty());
    let words: Vec<String> = east.training.iter().map(|t| t.words("east")).collect();
    assert_eq!(
        words,
        ["front desk at east: 3 training reports this week, up from 1"]
    );
    let billing: Vec<String> = north.training.iter().map(|t| t.words("north")).collect();
    assert_eq!(
        billing,
        [
            "billing at north: 0 training reports this week, as many as the week before; 3 taps on training issues this week, up from 0",
            "nurse at north: 1 training report this week, up from 0",
        ]
    );
}

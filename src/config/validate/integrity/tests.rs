//! `[[integrity]]` configs: every kind loads typed; every mistake is
//! reported at its line.

use std::path::Path;

use crate::config::integrity::{Builtin, DateBound, Normalize, RefCast, RuleSpec, ValidityTest};
use crate::config::{Tolerance, parse};

const HEAD: &str = r#"[sources.ehr]
url = "sqlite://ehr.db"
"#;

fn load(body: &str) -> Result<crate::config::Config, String> {
    parse(&format!("{HEAD}{body}"), Path::new("t.toml"), &|_| None).map_err(|e| e.to_string())
}

#[test]
fn every_rule_kind_loads_typed() {
    let cfg = load(
        r#"
[[integrity]]
name = "ehr_integrity"
schedule = "0 */15 * * * *"
from = "ehr"
sample_keys = 5

[[integrity.rules]]
name = "dup"
kind = "duplicates"
table = "public.patient"
key = "id"
match = ["lower_trim(family)", "initial(given)", "birth_date"]
where = "active = 1"

[[integrity.rules]]
name = "orphan_appointments"
kind = "orphans"
table = "appointment"
key = "id"
column = "pc_pid"
ref_table = "patient"
ref_column = "id"
cast = "integer"
ref_where = "deleted = 0"
tolerance = "1%"

[[integrity.rules]]
name = "complete"
kind = "completeness"
table = "patient"
key = "id"
fields = ["family", "given"]
min_ratio = "99.5%"

[[integrity.rules]]
name = "dob"
kind = "validity"
table = "patient"
key = "id"
column = "birth_date"
builtin = "date_range"
min = "1900-01-01"

[[integrity.rules]]
name = "npi"
kind = "validity"
table = "practitioner"
key = "id"
column = "npi"
builtin = "npi"

[[integrity.rules]]
name = "codes"
kind = "validity"
table = "problem"
key = "id"
column = "legacy_code"
mapping_table = "code_map"
mapping_column = "legacy_code"

[[integrity.rules]]
name = "feed"
kind = "freshness"
table = "encounter"
column = "updated_at"
max_age = "6h"
"#,
    )
    .unwrap();
    let check = &cfg.integrity[0];
    assert_eq!(check.sample_keys, 5);
    assert_eq!(check.rules.len(), 7);
    let RuleSpec::Duplicates { matches, .. } = &check.rules[0].spec else {
        panic!("duplicates")
    };
    assert_eq!(matches[1].normalize, Normalize::Initial);
    assert_eq!(check.rules[0].table.to_string(), "public.patient");
    assert_eq!(
        check.rules[0].filter.as_ref().unwrap().as_str(),
        "active = 1"
    );
    let RuleSpec::Orphans {
        cast, tolerance, ..
    } = &check.rules[1].spec
    else {
        panic!("orphans")
    };
    assert_eq!(*cast, Some(RefCast::Integer));
    assert_eq!(*tolerance, Tolerance::Percent(1.0));
    let RuleSpec::Completeness { min_ratio, .. } = &check.rules[2].spec else {
        panic!("completeness")
    };
    assert!((min_ratio - 0.995).abs() < 1e-9);
    let RuleSpec::Validity { test, .. } = &check.rules[3].spec else {
        panic!("validity")
    };
    let ValidityTest::DateRange {
        max, placeholders, ..
    } = test
    else {
        panic!("date_range")
    };
    assert_eq!(*max, DateBound::Today);
    assert_eq!(placeholders.len(), 1, "1900-01-01 by default");
    let RuleSpec::Validity { test, .. } = &check.rules[4].spec else {
        panic!("validity")
    };
    assert_eq!(*test, ValidityTest::Builtin(Builtin::Npi));
}

#[test]
fn mistakes_in_rules_are_reported_at_their_lines() {
    let err = load(
        r#"
[[integrity]]
name = "ehr_integrity"
schedule = "0 */15 * * * *"
from = "ehr"
sample_keys = 5000

[[integrity.rules]]
name = "Dup"
kind = "duplicates"
table = "patient; DROP TABLE x"
key = "id"
match = ["soundex(family)"]

[[integrity.rules]]
name = "orphans"
kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
pattern = "^x$"

[[integrity.rules]]
name = "codes"
kind = "validity"
table = "problem"
key = "id"
column = "code"
builtin = "icd10cm"
values = ["A"]

[[integrity.rules]]
name = "complete"
kind = "completeness"
table = "patient"
key = "id"
fields = ["family"]
min_ratio = 1.5
where = "deleted = 0 -- only live"

[[integrity.rules]]
name = "re"
kind = "validity"
table = "patient"
key = "id"
column = "zip"
pattern = "^[0-9{5}$"

[[integrity.rules]]
name = "feed"
kind = "freshnes"
table = "encounter"
"#,
    )
    .unwrap_err();
    for (line, what) in [
        (8, "sample_keys must be at most"),
        (11, "rule name"),
        (13, "not a plain SQL identifier"),
        (15, "not a match function"),
        (18, "needs `ref_table` and `ref_column`"),
        (23, "`pattern` does not apply to kind `orphans`"),
        (31, "`builtin` cannot be combined with `values`"),
        (40, "min_ratio must be a share"),
        (41, "comments"),
        (49, "not a regular expression"),
        (53, "not a rule kind"),
    ] {
        let needle = format!("t.toml:{line}:");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&needle) && l.contains(what)),
            "expected `{needle} … {what}` in:\n{err}"
        );
    }
}

#[test]
fn a_check_without_rules_or_with_a_bad_rule_table_is_refused() {
    let err = load(
        r#"
[[integrity]]
name = "empty"
schedule = "0 * * * * *"
from = "nowhere"
"#,
    )
    .unwrap_err();
    assert!(err.contains("has no rules"), "{err}");
    assert!(err.contains("unknown source `nowhere`"), "{err}");
    let err = load(
        r#"
[[integrity]]
name = "c"
schedule = "0 * * * * *"
from = "ehr"

[[integrity.rules]]
name = "r"
kind = "freshness"
table = "t"
column = "ts"
max_age = "1h"
colour = "blue"
"#,
    )
    .unwrap_err();
    assert!(
        err.contains("t.toml:15:") && err.contains("colour"),
        "{err}"
    );
    assert!(
        !err.contains("has no rules"),
        "a rule that does not read is not a missing rule:\n{err}"
    );
}

#[test]
fn date_range_keys_belong_to_date_range_only() {
    let err = load(
        r#"
[[integrity]]
name = "c"
schedule = "0 * * * * *"
from = "ehr"

[[integrity.rules]]
name = "r"
kind = "validity"
table = "t"
key = "id"
column = "zip"
builtin = "zip"
min = "1900-01-01"
mapping_column = "x"
"#,
    )
    .unwrap_err();
    assert!(
        err.contains("t.toml:16:") && err.contains("applies only with builtin"),
        "{err}"
    );
    assert!(
        err.contains("t.toml:17:") && err.contains("applies only with mapping_table"),
        "{err}"
    );
}

#[test]
fn vetoes_default_to_all_and_an_unknown_one_is_named() {
    let rule = |vetoes: &str| {
        format!(
            r#"
[[integrity]]
name = "c"
schedule = "0 * * * * *"
from = "ehr"

[[integrity.rules]]
name = "r"
kind = "probable_duplicates"
table = "t"
key = "id"
person = {{ given = "g", family = "f", birth_date = "d" }}
{vetoes}
"#
        )
    };
    let spec = |cfg: crate::config::Config| match &cfg.integrity[0].rules[0].spec {
        RuleSpec::ProbableDuplicates(s) => s.vetoes.clone(),
        other => panic!("{other:?}"),
    };
    use crate::config::integrity::empi::Veto;
    assert_eq!(spec(load(&rule("")).unwrap()), Veto::ALL.to_vec());
    let two = load(&rule(r#"vetoes = ["suffix", "sex"]"#)).unwrap();
    assert_eq!(spec(two), [Veto::Suffix, Veto::Sex]);
    let err = load(&rule(r#"vetoes = ["sex", "twin"]"#)).unwrap_err();
    assert!(
        err.contains("t.toml:15:18") && err.contains("unknown veto `twin`"),
        "{err}"
    );
}

#[test]
fn legacy_needs_lineage_and_a_known_source() {
    let rule = |extra: &str| {
        format!(
            r#"
[[integrity]]
name = "c"
schedule = "0 * * * * *"
from = "ehr"

[[integrity.rules]]
name = "r"
kind = "probable_duplicates"
table = "t"
key = "id"
person = {{ given = "g", family = "f", birth_date = "d", sex = "s" }}
{extra}
"#
        )
    };
    let legacy = |from: &str| {
        format!(r#"legacy = {{ from = "{from}", table = "old.patients", key = "pid" }}"#)
    };
    let ok = load(&rule(&format!(
        "lineage = \"legacy_id\"\n{}",
        legacy("ehr")
    )))
    .unwrap();
    let RuleSpec::ProbableDuplicates(s) = &ok.integrity[0].rules[0].spec else {
        panic!("not probable_duplicates")
    };
    let l = s.legacy.as_ref().expect("legacy");
    assert_eq!(l.from.as_str(), "ehr");
    // The legacy columns default to the rule's own person map.
    assert_eq!(l.person, s.person);
    let err = load(&rule(&legacy("ehr"))).unwrap_err();
    assert!(err.contains("legacy needs lineage"), "{err}");
    let err = load(&rule(&format!("lineage = \"l\"\n{}", legacy("old")))).unwrap_err();
    assert!(err.contains("unknown source `old`"), "{err}");
}

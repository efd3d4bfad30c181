//! `[[workflows]]` configs: templates expand to validated steps; every
//! mistake is reported at its line, naming what to change.

use std::path::Path;

use crate::config::workflows::{Action, Baseline, Extract};
use crate::config::{FhirAuth, parse};

const HEAD: &str = r#"[sources.db]
url = "sqlite://ehr.db"

[sources.ehr]
fhir = "http://ehr.test/fhir"

[sources.legacy]
fhir = "http://legacy.test/fhir"
token_url = "http://legacy.test/token"
client_id = "probe"
client_secret_env = "SECRET"
"#;

fn load(body: &str) -> Result<crate::config::Config, String> {
    let env = |n: &str| (n == "SECRET").then(|| "s".to_string());
    parse(&format!("{HEAD}{body}"), Path::new("t.toml"), &env).map_err(|e| e.to_string())
}

/// The line of `needle` in the whole config text (HEAD included).
fn line_of(body: &str, needle: &str) -> usize {
    let text = format!("{HEAD}{body}");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

#[test]
fn every_template_expands_to_steps_that_validate() {
    for (template, steps) in [
        ("find_patient", 1),
        ("chart_summary", 5),
        ("todays_appointments", 1),
        ("latest_document", 3),
    ] {
        let cfg = load(&format!(
            r#"
[[workflows]]
name = "w"
schedule = "0 * * * * *"
template = "{template}"
target = "ehr"
baseline = "legacy"
vars = {{ identifier_system = "urn:oid:1" }}
pools = {{ mrn = ["T1"] }}
"#
        ))
        .unwrap_or_else(|e| panic!("{template}: {e}"));
        let w = &cfg.workflows[0];
        assert_eq!(w.steps.len(), steps, "{template}");
        assert!(matches!(&w.baseline, Some(Baseline::Live(n)) if n.as_str() == "legacy"));
    }
    assert!(matches!(
        load("").unwrap().fhir_sources["legacy"].auth,
        FhirAuth::OAuth2 { .. }
    ));
}

#[test]
fn a_template_names_the_variables_it_lacks() {
    let body = r#"
[[workflows]]
name = "w"
schedule = "0 * * * * *"
template = "chart_summary"
target = "ehr"
pools = { mrn = ["T1"] }
"#;
    let e = load(body).unwrap_err();
    let line = line_of(body, "template =");
    assert!(e.contains(&format!("t.toml:{line}:")), "{e}");
    assert!(e.contains("needs `identifier_system`"), "{e}");
}

#[test]
fn steps_read_only_variables_defined_before_them() {
    let body = r#"
[[workflows]]
name = "w"
schedule = "0 * * * * *"
target = "ehr"
vars = { system = "urn:oid:1" }

[[workflows.steps]]
name = "pick"
from = "db"
sql = "SELECT mrn FROM patient WHERE clinic = $1"
params = ["{{run}}"]
extract = { mrn = "mrn" }

[[workflows.steps]]
name = "search"
path = "Patient"
query = { identifier = "{{system}}|{{mrn}}" }
extract = { id = "/entry/0/resource/id" }

[[workflows.steps]]
name = "read"
path = "Patient/{{id}}/{{later}}"

[[workflows.steps]]
name = "sets_later"
path = "Patient"
extract = { later = "entry[0].resource.id" }
"#;
    let e = load(body).unwrap_err();
    let line = line_of(body, "name = \"read\"");
    assert!(e.contains(&format!("t.toml:{line}:")), "{e}");
    assert!(
        e.contains("step `read` uses `{{later}}`, not defined before it"),
        "{e}"
    );
    assert_eq!(
        e.lines().filter(|l| l.starts_with("t.toml")).count(),
        1,
        "{e}"
    );
    let ok = load(&body.replace("/{{later}}", "")).unwrap();
    let steps = &ok.workflows[0].steps;
    assert!(matches!(&steps[0].action, Action::Sql { .. }));
    assert_eq!(steps[0].extract[0].1, Extract::Column("mrn".into()));
    assert_eq!(
        steps[1].extract[0].1,
        Extract::Pointer("/entry/0/resource/id".into())
    );
}

#[test]
fn mistakes_are_reported_at_their_lines() {
    let body = r#"
[[workflows]]
name = "w"
schedule = "0 * * * * *"
target = "db"
baseline = "legacy"
baseline_p50 = "10ms"
slo_latency = "1s"
slo_objective = "100%"

[[workflows.steps]]
name = "a"
path = "Patient"
sql = "SELECT 1"
from = "db"

[[workflows.steps]]
name = "b"
path = "Patient"
method = "FETCH"
expect = { status = 700 }

[[workflows.steps]]
name = "b"
path = "x"
extract = { v = "a[b]" }

[workflow_metrics]
buckets = ["1s", "10ms"]
"#;
    let e = load(body).unwrap_err();
    for (needle, message) in [
        ("target = \"db\"", "unknown HTTP system `db` as target"),
        ("baseline = \"legacy\"", "not both"),
        (
            "slo_objective",
            "slo_objective must be a share between 0 and 1",
        ),
        ("path = \"Patient\"\nsql", "`path` belongs to HTTP steps"),
        ("method = \"FETCH\"", "`FETCH` is not an HTTP method"),
        ("expect = { status = 700 }", "status must be an HTTP status"),
        ("name = \"b\"\npath = \"x\"", "step name `b` is used twice"),
        ("extract = { v = \"a[b]\" }", "is not a path"),
        ("buckets", "ascending order"),
    ] {
        let text = format!("{HEAD}{body}");
        let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        let line = text[..at].matches('\n').count() + 1;
        assert!(
            e.lines()
                .any(|l| l.starts_with(&format!("t.toml:{line}:")) && l.contains(message)),
            "expected `{message}` at line {line}:\n{e}"
        );
    }
}

#[test]
fn response_caps_default_and_zero_or_endless_values_are_refused() {
    let w = |extra: &str| {
        format!(
            "\n[[workflows]]\nname = \"w\"\nschedule = \"0 * * * * *\"\ntemplate = \"find_patient\"\ntarget = \"ehr\"\npools = {{ mrn = [\"T1\"] }}\nvars = {{ identifier_system = \"urn:oid:1\" }}\n{extra}\n"
        )
    };
    let cfg = load(&w("")).unwrap();
    assert_eq!(cfg.workflows[0].max_response_bytes, 16 * 1024 * 1024);
    let cfg = load(&w("max_response_bytes = 4096")).unwrap();
    assert_eq!(cfg.workflows[0].max_response_bytes, 4096);
    let zero = load(&w("max_response_bytes = 0")).unwrap_err();
    assert!(zero.contains("at least 1 byte"), "{zero}");
    // A duration past 100 years would overflow date arithmetic later.
    let huge = load(&w("timeout = \"200000000000y\"")).unwrap_err();
    assert!(huge.contains("longer than 100 years"), "{huge}");
    assert!(load(&w("timeout = \"100y\"")).is_ok());
}

#[test]
fn mllp_steps_validate_and_report_their_mistakes() {
    let step = |keys: &str| {
        format!(
            r#"
[[workflows]]
name = "w"
schedule = "0 * * * * *"
target = "ehr"
vars = {{ mrn = "T1" }}

[[workflows.steps]]
name = "adt"
{keys}
"#
        )
    };
    let message = "message = \"\"\"\nMSH|^~\\\\&|HC|P|E|H|||ADT^A08|HC{{run}}|P|2.5\n\nPID|1||{{mrn}}\n\"\"\"";
    let ok = load(&step(&format!(
        "mllp = \"engine.test:2575\"\n{message}\nextract = {{ id = \"MSA-2\", err = \"ERR-3.1\" }}\nexpect = {{ ack = [\"ae\", \"AR\"] }}"
    )))
    .unwrap();
    let s = &ok.workflows[0].steps[0];
    let Action::Mllp(m) = &s.action else {
        panic!("not an MLLP step")
    };
    assert_eq!(
        (m.host.as_str(), m.port, m.tls.is_none()),
        ("engine.test", 2575, true)
    );
    let vars = std::collections::BTreeMap::from([
        ("run".into(), "7".into()),
        ("mrn".into(), "A|B".into()),
    ]);
    assert_eq!(
        m.message
            .render(&vars, crate::config::workflows::hl7::escape),
        "MSH|^~\\&|HC|P|E|H|||ADT^A08|HC7|P|2.5\rPID|1||A\\F\\B"
    );
    assert!(matches!(&s.extract[0].1, Extract::Hl7(f) if f.to_string() == "ERR-3.1"));
    assert_eq!(
        s.expect.ack.as_deref(),
        Some(&["AE".to_string(), "AR".to_string()][..])
    );
    for (keys, says) in [
        (
            format!("mllp = \"engine.test\"\n{message}"),
            "is not an MLLP address",
        ),
        (
            "mllp = \"engine.test:2575\"".to_string(),
            "needs both `mllp`",
        ),
        (
            "mllp = \"e:1\"\nmessage = \"PID|1\"".to_string(),
            "must start with an MSH segment",
        ),
        (
            format!("mllp = \"e:1\"\n{message}\nextract = {{ id = \"msa2\" }}"),
            "is not an HL7 field",
        ),
        (
            format!("mllp = \"e:1\"\n{message}\nexpect = {{ ack = \"OK\" }}"),
            "acknowledgement code",
        ),
        (
            format!("mllp = \"e:1\"\n{message}\nexpect = {{ status = 200 }}"),
            "`expect.status` does not apply",
        ),
        (
            format!("mllp = \"e:1\"\n{message}\npath = \"Patient\""),
            "`path` does not apply to an MLLP step",
        ),
        (
            format!("mllp = \"e:1\"\n{message}\nca_file = \"ca.pem\""),
            "`ca_file` needs `tls = true`",
        ),
        (
            "path = \"Patient\"\ntls = true".to_string(),
            "`tls` belongs to MLLP steps",
        ),
        (
            "path = \"Patient\"\nexpect = { ack = \"AA\" }".to_string(),
            "`expect.ack` does not apply",
        ),
    ] {
        let e = load(&step(&keys)).unwrap_err();
        assert!(e.contains(says), "{keys}: {e}");
    }
}

//! `[[clinics]] codes`: unique across clinics, each mistake at its line.

use std::path::Path;

use hypercare::config::{ClinicCodes, UNASSIGNED, parse};

const CLINICS: &str = r#"[[clinics]]
id = "north"
name = "North Clinic"
codes = ["1", "N01", "Organization/org-clinic-north"]

[[clinics]]
id = "east"
name = "East Family Practice"
codes = ["3", "E03", "N01", " "]
"#;

#[test]
fn a_code_of_two_clinics_and_a_blank_code_are_reported_at_their_line() {
    let errors = parse(CLINICS, Path::new("hc.toml"), &|_| None).expect_err("invalid");
    let text = errors.to_string();
    for (line, what) in [
        (9, "code `N01` already means clinic `north`"),
        (9, "a clinic code must be 1 to 200 characters"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("hc.toml:{line}:")) && l.contains(what)),
            "expected line {line}: {what} in:\n{text}"
        );
    }
}

#[test]
fn the_shortest_form_attributes_each_sides_codes_to_one_clinic() {
    let text = CLINICS.replace(r#", "N01", " ""#, "");
    let config = parse(&text, Path::new("hc.toml"), &|_| None).expect("valid");
    let codes = ClinicCodes::new(&config.clinics);
    assert_eq!(codes.clinic_of(Some("1")), "north");
    assert_eq!(codes.clinic_of(Some("E03")), "east");
    assert_eq!(
        codes.clinic_of(Some("Organization/org-clinic-north")),
        "north"
    );
    assert_eq!(codes.clinic_of(Some("7")), UNASSIGNED);
}

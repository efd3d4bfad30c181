//! Built-in FHIR R4 journeys, so a user writes only the target, an
//! `identifier_system` and a pool of test MRNs. Each is the steps a person
//! would cause in the EHR, written as the `[[workflows.steps]]` a user
//! would write, and validated like them.

/// Names accepted by `template`.
pub const NAMES: &str = "find_patient, chart_summary, todays_appointments, latest_document";

const FIND_PATIENT: &str = r#"
[[steps]]
name = "search_patient"
path = "Patient"
query = { identifier = "{{identifier_system}}|{{mrn}}" }
extract = { patient_id = "entry[0].resource.id" }
expect = { status = 200, min_count = 1 }
"#;

const CHART: &str = r#"
[[steps]]
name = "read_patient"
path = "Patient/{{patient_id}}"
expect = { status = 200, json = { resourceType = "Patient" } }

[[steps]]
name = "conditions"
path = "Condition"
query = { patient = "{{patient_id}}", _count = "100" }
expect = { status = 200, json = { resourceType = "Bundle" } }

[[steps]]
name = "medications"
path = "MedicationRequest"
query = { patient = "{{patient_id}}", _count = "100" }
expect = { status = 200, json = { resourceType = "Bundle" } }

[[steps]]
name = "allergies"
path = "AllergyIntolerance"
query = { patient = "{{patient_id}}", _count = "100" }
expect = { status = 200, json = { resourceType = "Bundle" } }
"#;

const APPOINTMENTS: &str = r#"
[[steps]]
name = "appointments_today"
path = "Appointment"
query = { date = "{{today}}", _count = "200" LOCATION }
expect = { status = 200, json = { resourceType = "Bundle" } }
"#;

const DOCUMENT: &str = r#"
[[steps]]
name = "latest_document_reference"
path = "DocumentReference"
query = { patient = "{{patient_id}}", _sort = "-date", _count = "1" }
extract = { document_url = "entry[0].resource.content[0].attachment.url" }
expect = { status = 200, min_count = 1 }

[[steps]]
name = "open_document"
path = "{{document_url}}"
expect = { status = 200 }
"#;

/// The steps of a journey as TOML, or `None` for an unknown name.
/// `location` adds a `location` search parameter to the appointment list
/// (when the workflow defines a `location` variable or pool).
pub fn steps_toml(name: &str, location: bool) -> Option<String> {
    let location = if location {
        r#", location = "{{location}}""#
    } else {
        ""
    };
    Some(match name {
        "find_patient" => FIND_PATIENT.to_string(),
        "chart_summary" => format!("{FIND_PATIENT}{CHART}"),
        "todays_appointments" => APPOINTMENTS.replace(" LOCATION", location),
        "latest_document" => format!("{FIND_PATIENT}{DOCUMENT}"),
        _ => return None,
    })
}

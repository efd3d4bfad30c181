//! The config the demo writes and runs with: a readable example in itself.

use std::path::Path;

pub fn render(dir: &Path, listen: &str) -> String {
    let d = dir.display();
    let now = chrono::Utc::now();
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let silence_start = stamp(now - chrono::Duration::minutes(1));
    let silence_end = stamp(now + chrono::Duration::hours(8));
    format!(
        r#"# Written by `hypercare demo`; rewritten on every demo start.
[server]
listen = "{listen}"
# The triage pages (/admin/feedback) and the API: the password is generated
# on the first demo start and printed in the banner.
admin_user = "admin"
admin_password_file = "{d}/admin-password"

[store]
url = "sqlite://{d}/hypercare.db"
retention = "7d"

[scheduler]
drain_timeout = "10s"
lease = "15s"

# The legacy EHR (OpenEMR-like schema, soft deletes) and the new EHR.
[sources.legacy]
url = "sqlite://{d}/legacy.db"

[sources.target]
url = "sqlite://{d}/target.db"

[[reconcile]]
name = "patients_total"
description = "Active patients, whole organisation"
schedule = "*/10 * * * * *"
tolerance = "1%"
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM patient_data WHERE deleted = 0" }}
target = {{ from = "target", sql = "SELECT COUNT(*) FROM patient" }}

[[reconcile]]
name = "patients_by_clinic"
description = "Active patients per clinic"
schedule = "*/10 * * * * *"
source = {{ from = "legacy", sql = "SELECT clinic, COUNT(*) FROM patient_data WHERE deleted = 0 GROUP BY clinic" }}
target = {{ from = "target", sql = "SELECT clinic_id, COUNT(*) FROM patient GROUP BY clinic_id" }}

# A keyed diff: names the patients the target lacks (see `hypercare check patients_keyed --json`).
[[reconcile]]
name = "patients_keyed"
description = "Active patients by legacy pid: which are missing, extra or changed"
schedule = "*/10 * * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pid", columns = ["pubpid", "lname", "fname", "DOB", "clinic"], where = "deleted = 0" }}
target = {{ from = "target", table = "patient", key = "id", columns = ["mrn", "family", "given", "birth_date", "clinic_id"] }}

[[reconcile]]
name = "encounters_by_clinic"
description = "Encounters per clinic"
schedule = "*/10 * * * * *"
tolerance = "0.5%"
source = {{ from = "legacy", sql = "SELECT e.clinic, COUNT(*) FROM form_encounter e JOIN patient_data p ON p.pid = e.pid WHERE p.deleted = 0 GROUP BY e.clinic" }}
target = {{ from = "target", sql = "SELECT clinic_id, COUNT(*) FROM encounter GROUP BY clinic_id" }}

[[reconcile]]
name = "encounters_by_year"
description = "Encounters per year of service"
schedule = "*/10 * * * * *"
tolerance = "2%"
source = {{ from = "legacy", sql = "SELECT substr(e.date, 1, 4), COUNT(*) FROM form_encounter e JOIN patient_data p ON p.pid = e.pid WHERE p.deleted = 0 GROUP BY 1" }}
target = {{ from = "target", sql = "SELECT substr(period_start, 1, 4), COUNT(*) FROM encounter GROUP BY 1" }}

[[reconcile]]
name = "appointments_by_clinic"
description = "Appointments per clinic (legacy pc_pid is text: cast for the join)"
schedule = "*/10 * * * * *"
source = {{ from = "legacy", sql = "SELECT a.clinic, COUNT(*) FROM calendar_events a JOIN patient_data p ON p.pid = CAST(a.pc_pid AS INTEGER) WHERE p.deleted = 0 GROUP BY a.clinic" }}
target = {{ from = "target", sql = "SELECT clinic_id, COUNT(*) FROM appointment GROUP BY clinic_id" }}

[[reconcile]]
name = "documents_by_kind"
description = "Migrated documents per kind"
schedule = "*/10 * * * * *"
source = {{ from = "legacy", sql = "SELECT d.kind, COUNT(*) FROM documents d JOIN patient_data p ON p.pid = d.foreign_id WHERE d.deleted = 0 AND p.deleted = 0 GROUP BY d.kind" }}
target = {{ from = "target", sql = "SELECT kind, COUNT(*) FROM document_reference GROUP BY kind" }}

[[reconcile]]
name = "providers_total"
description = "Active providers"
schedule = "*/30 * * * * *"
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM users WHERE active = 1" }}
target = {{ from = "target", sql = "SELECT COUNT(*) FROM practitioner" }}

# Staff feedback: the form at /feedback (try /feedback?clinic=east&role=nurse).
[feedback]
# The demo's MRNs are 8 digits starting with 1: the form catches them.
mrn_pattern = '\b1\d{{7}}\b'
retention = "30d"

[[clinics]]
id = "north"
name = "North Clinic"

[[clinics]]
id = "south"
name = "South Clinic"

[[clinics]]
id = "east"
name = "East Family Practice"

[[clinics]]
id = "west"
name = "West Clinic"

[[clinics]]
id = "pediatrics"
name = "Pediatrics"
# The new EHR's own data: problems carried over from the legacy system
# (duplicates, blank names, placeholder birth dates, invalid NPIs) and made by
# the migration (orphans of the lost east patients, unmapped legacy codes, a
# lab feed that stopped three days before the demo data was generated).
[[integrity]]
name = "target_integrity"
description = "Data quality of the new EHR"
schedule = "*/15 * * * * *"
from = "target"
sample_keys = 10

[[integrity.rules]]
name = "duplicate_patients"
kind = "duplicates"
table = "patient"
key = "id"
match = ["lower_trim(family)", "initial(given)", "birth_date"]

[[integrity.rules]]
name = "appointment_patients"
kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id"

[[integrity.rules]]
name = "document_patients"
kind = "orphans"
table = "document_reference"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id"

[[integrity.rules]]
name = "encounter_practitioners"
kind = "orphans"
table = "encounter"
key = "id"
column = "practitioner_id"
ref_table = "practitioner"
ref_column = "id"

[[integrity.rules]]
name = "demographics"
kind = "completeness"
table = "patient"
key = "id"
fields = ["family", "given", "birth_date", "gender"]
min_ratio = "99.9%"

[[integrity.rules]]
name = "birth_dates"
kind = "validity"
table = "patient"
key = "id"
column = "birth_date"
builtin = "date_range"

[[integrity.rules]]
name = "practitioner_npi"
kind = "validity"
table = "practitioner"
key = "id"
column = "npi"
builtin = "npi"

[[integrity.rules]]
name = "condition_codes"
kind = "validity"
table = "condition"
key = "id"
column = "code"
builtin = "icd10cm"

[[integrity.rules]]
name = "legacy_code_mapping"
kind = "validity"
table = "condition"
key = "id"
column = "legacy_code"
mapping_table = "code_map"
mapping_column = "legacy_code"

[[integrity.rules]]
name = "lab_feed"
kind = "freshness"
table = "lab_feed_message"
column = "received_at"
max_age = "1d"

# The legacy system: appointments store the patient id as text (cast for the
# join), and soft-deleted patients do not count as resolving.
[[integrity]]
name = "legacy_integrity"
description = "Data quality of the legacy EHR"
schedule = "*/30 * * * * *"
from = "legacy"

[[integrity.rules]]
name = "calendar_patients"
kind = "orphans"
table = "calendar_events"
key = "pc_eid"
column = "pc_pid"
ref_table = "patient_data"
ref_column = "pid"
cast = "integer"
ref_where = "deleted = 0"

[[integrity.rules]]
name = "mrn_shape"
kind = "validity"
table = "patient_data"
key = "pid"
column = "pubpid"
pattern = "^[0-9]{{8}}$"

# Alerts: the default rules (check_failing, check_stale, reconcile_discrepancy,
# feedback_blockers) on every check. No notifiers in the demo: alerts show on
# the status page, /admin/alerts, /api/v1/alerts and /metrics.
[alerting]
evaluation_interval = "5s"
default_for = "20s"

# Planned work: the legacy clean-up silences that check's alerts for the
# demo's first hours (they still show, marked silenced).
[[silences]]
labels = {{ check = "legacy_integrity" }}
starts_at = "{silence_start}"
ends_at = "{silence_end}"
comment = "Legacy data clean-up in progress"
"#,
        silence_start = silence_start,
        silence_end = silence_end,
    )
}

//! The demo's `[stabilization]` (two go-live waves relative to today),
//! its morning digest and the mail folder it goes to.

use std::path::Path;

pub fn config_text(dir: &Path) -> String {
    let d = dir.display();
    let today = chrono::Utc::now().date_naive();
    let wave1 = today - chrono::Duration::days(9);
    let wave2 = today - chrono::Duration::days(2);
    format!(
        r#"
# Stabilization: north and south went live nine days ago, the rest two
# days ago. Each clinic's exit criteria and rollback triggers are judged
# from the checks that watch its wave; the scorecard is on the status page.
[stabilization]
contingency_owner = "Dana Reyes, migration lead (+1 555 0100)"
escalation = ["on-call informatics lead", "CMIO", "CIO"]
evaluation_interval = "10s"

[[stabilization.waves]]
name = "wave1"
go_live = "{wave1}"
clinics = ["north", "south"]
checks = ["patients_keyed", "demo_documents", "open_chart", "appointments_north"]

[[stabilization.waves]]
name = "wave2"
go_live = "{wave2}"
clinics = ["east", "west", "pediatrics"]
checks = ["patients_keyed", "demo_documents", "appointments_east", "latest_document"]

[[stabilization.criteria]]
name = "no_drift"
kind = "no_drift"
days = 3

[[stabilization.criteria]]
name = "documents_accessible"
kind = "document_accessibility"
at_least = 0.999

[[stabilization.criteria]]
name = "workflow_speed"
kind = "workflow_p95"
max_ratio = 1.2

[[stabilization.criteria]]
name = "no_open_blockers"
kind = "no_open_blockers"

[[stabilization.criteria]]
name = "no_page_alerts"
kind = "no_page_alerts"

[[stabilization.rollback]]
name = "patients_missing"
kind = "missing_records"
above = 0.01
within = "14d"

[[stabilization.rollback]]
name = "documents_down"
kind = "document_accessibility"
below = 0.95
within = "14d"

[[stabilization.rollback]]
name = "workflow_down"
kind = "workflow_failing"
for = "30m"
within = "14d"

# The clinic leads' digest, every quarter hour in the demo. With no [smtp]
# relay, each message is written to {d}/mail as an .eml file.
[[digests]]
name = "morning"
schedule = "0 */15 * * * *"
recipients = ["clinic-leads@example.org", "cmio@example.org"]
subject = "Hypercare digest"
send_window = "5m"

[outbox]
mail_dir = "{d}/mail"
"#
    )
}

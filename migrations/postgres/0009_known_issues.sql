-- Known issues: what triage made of one or several staff reports, told back
-- to staff per clinic and role with a workaround. Title and workaround are
-- stored as the PHI guard redacted them. `clinics` and `roles` are
-- comma-separated config names (label-safe, so no commas), each wrapped in
-- commas (',east,north,') so a clinic is found with one LIKE; empty roles
-- (',') means every role.
CREATE TABLE known_issues (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    workaround TEXT NOT NULL DEFAULT '',
    clinics TEXT NOT NULL,
    roles TEXT NOT NULL,
    -- 1 when the cause is a training gap rather than a defect.
    training BIGINT NOT NULL DEFAULT 0,
    redactions TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    status_changed_ms BIGINT NOT NULL,
    -- When it was last marked fixed (for "fixed, but still worked around").
    fixed_ms BIGINT
);
CREATE INDEX known_issues_status ON known_issues (status);

-- The reports merged into a known issue: each report belongs to at most one,
-- and stays in `feedback` with its own audit trail.
CREATE TABLE known_issue_reports (
    feedback_id BIGINT PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,
    issue_id BIGINT NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    linked_ms BIGINT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX known_issue_reports_issue ON known_issue_reports (issue_id);

-- A known issue's audit trail: creation, status moves, merged reports.
CREATE TABLE known_issue_events (
    id BIGSERIAL PRIMARY KEY,
    issue_id BIGINT NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX known_issue_events_issue ON known_issue_events (issue_id, id);

-- "This affects me too" taps, committed before the tap is acknowledged.
-- `tap_id` comes from the served form, so a double tap counts once.
CREATE TABLE known_issue_taps (
    id BIGSERIAL PRIMARY KEY,
    tap_id TEXT NOT NULL UNIQUE,
    issue_id BIGINT NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    clinic TEXT,
    role TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    -- The issue's status when tapped (a tap on a fixed issue is a training signal).
    status TEXT NOT NULL
);
CREATE INDEX known_issue_taps_issue ON known_issue_taps (issue_id, at_ms);

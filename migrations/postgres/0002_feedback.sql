-- Staff feedback: one row per report, its text already redacted by the PHI
-- guard (the raw text is never stored). `submission_id` makes a repeated POST
-- of the same form (a double click, a refresh) store one report.
CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    clinic TEXT,
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    workaround BIGINT NOT NULL DEFAULT 0,
    text TEXT NOT NULL DEFAULT '',
    redactions TEXT NOT NULL DEFAULT '',
    contact TEXT,
    source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    status_changed_ms BIGINT NOT NULL
);
CREATE INDEX feedback_status ON feedback (status, severity);
CREATE INDEX feedback_clinic ON feedback (clinic, id);

-- The audit trail: who moved which report to which status, when, and why.
CREATE TABLE feedback_events (
    id BIGSERIAL PRIMARY KEY,
    feedback_id BIGINT NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_events_item ON feedback_events (feedback_id, id);

-- Keys every replica must share (the CSRF signing key), created once.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

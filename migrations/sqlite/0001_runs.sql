-- Every scheduled slot of every check: claimed once (UNIQUE), then finished.
-- Times are epoch milliseconds (UTC) so both backends compare them the same way.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    attempt BIGINT NOT NULL DEFAULT 1,
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    lease_expires_ms BIGINT,
    duration_ms BIGINT,
    summary TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    UNIQUE (check_name, slot_ms)
);
CREATE INDEX runs_check_finished ON runs (check_name, finished_ms);
CREATE INDEX runs_running ON runs (status, lease_expires_ms);

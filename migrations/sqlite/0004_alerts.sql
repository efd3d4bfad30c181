-- Alerts: one row per alert instance (a rule and its labels), moved through
-- inactive → pending → firing → resolved by conditional updates on `version`,
-- so among replicas each transition happens (and is notified) once.
CREATE TABLE alert_instances (
    fingerprint TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- Since when the condition holds (pending and firing).
    active_since_ms BIGINT,
    fired_ms BIGINT,
    resolved_ms BIGINT,
    -- Firing episodes so far: part of every notification's idempotency key.
    episode BIGINT NOT NULL DEFAULT 0,
    -- Whether this episode's firing notification went to the outbox (not while silenced).
    notified BIGINT NOT NULL DEFAULT 0,
    last_notified_ms BIGINT,
    repeats BIGINT NOT NULL DEFAULT 0,
    last_refresh_ms BIGINT,
    refreshes BIGINT NOT NULL DEFAULT 0,
    updated_ms BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_instances_state ON alert_instances (state);

CREATE TABLE alert_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX alert_transitions_at ON alert_transitions (at_ms);

-- Silences made through the admin API (those from config live in memory).
CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    alertname TEXT,
    matchers TEXT NOT NULL DEFAULT '{}',
    starts_ms BIGINT,
    ends_ms BIGINT,
    cron TEXT,
    duration_ms BIGINT,
    comment TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expired_ms BIGINT
);

-- The durable outbox: everything that leaves the process (mail, webhooks,
-- Alertmanager posts), written in the same transaction as the decision to
-- send. `idempotency_key` is unique, so a decision taken twice sends once;
-- a delivery is claimed with a lease, so one replica sends it. Rows with
-- the same channel and non-empty `ordering_key` (an alert instance) are
-- delivered in insertion order: a resolution never overtakes its firing.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    ordering_key TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_ms BIGINT,
    delivered_ms BIGINT,
    failed_ms BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (delivered_ms, failed_ms, next_attempt_ms);
CREATE INDEX outbox_order ON outbox (channel, ordering_key, id);

-- Stabilization: each exit criterion's state per clinic (and `_all`) per
-- UTC day, kept as history; rewritten through the day, final once the day ends.
CREATE TABLE stabilization_days (
    clinic TEXT NOT NULL,
    day TEXT NOT NULL,
    criterion TEXT NOT NULL,
    wave TEXT NOT NULL DEFAULT '',
    -- `met`, `not_met` or `unknown`.
    state TEXT NOT NULL,
    value DOUBLE PRECISION,
    -- Plain words, counts and config names only.
    detail TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (clinic, day, criterion)
);

-- Rollback triggers: the latest judgement per clinic and trigger, read by
-- the built-in `rollback_decision_needed` alert and the status page.
CREATE TABLE rollback_triggers (
    clinic TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    breached BIGINT NOT NULL DEFAULT 0,
    value DOUBLE PRECISION,
    evidence TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (clinic, trigger_name)
);

-- Digests: one row per digest, period and recipient, written in the same
-- transaction as its outbox message, so a restart or a second replica
-- inside the send window does not send it again.
CREATE TABLE digest_sends (
    digest TEXT NOT NULL,
    period TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outbox_key TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (digest, period, recipient)
);

-- The figures each digest period showed, for "change since the previous digest".
CREATE TABLE digest_periods (
    digest TEXT NOT NULL,
    period TEXT NOT NULL,
    figures TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (digest, period)
);

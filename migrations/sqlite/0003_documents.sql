-- Rotation state of [[documents]] checks: per check and document id, when
-- the document was last checked, when its content was last verified (0 for
-- never) and why it failed last time (NULL: it passed). The scheduler loads
-- a check's rows before a run and saves what the run changed, so failed
-- documents are rechecked first, new ones come next, and cycle coverage is
-- known across restarts and replicas.
CREATE TABLE document_ledger (
    check_name TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    checked_ms BIGINT NOT NULL,
    content_ms BIGINT NOT NULL DEFAULT 0,
    reason TEXT,
    PRIMARY KEY (check_name, doc_id)
);

-- At most one running run per check, enforced by the store: two replicas
-- claiming different slots of one check at the same moment both passed the
-- claim's NOT EXISTS test; now the second insert conflicts and does nothing.
-- Any such pairs left from before are closed first (the older ones).
UPDATE runs SET status = 'error', finished_ms = started_ms, duration_ms = 0,
    summary = 'abandoned: another run of this check was running at the same time',
    lease_expires_ms = NULL
WHERE status = 'running'
  AND id NOT IN (SELECT MAX(id) FROM runs WHERE status = 'running' GROUP BY check_name);
CREATE UNIQUE INDEX runs_one_running ON runs (check_name) WHERE status = 'running';

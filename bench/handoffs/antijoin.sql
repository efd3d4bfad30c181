-- The hand-written anti-join an operator would write: stuck events of the window.
SELECT count(*) FROM h17_events e
 WHERE e.status = 'finished' AND e.closed_at >= to_timestamp(1800000000 - 14 * 86400)
   AND e.closed_at + interval '48 hours' < to_timestamp(1800000000)
   AND NOT EXISTS (SELECT 1 FROM h17_claims c WHERE c.encounter_ref = e.id);

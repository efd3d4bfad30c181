-- 1 M events over the 14 days before the judged moment (2027-01-15T08:00Z,
-- epoch 1800000000), 1 M arrivals: 95 % of events arrive once after 0-72 h,
-- 5 % never, and 50 000 arrivals have no event.
DROP TABLE IF EXISTS h17_events, h17_claims;
CREATE TABLE h17_events (id integer PRIMARY KEY, closed_at timestamptz NOT NULL, status text NOT NULL);
INSERT INTO h17_events
  SELECT i, to_timestamp(1800000000 - (i % 1209600)), 'finished' FROM generate_series(1, 1000000) i;
CREATE TABLE h17_claims (id serial PRIMARY KEY, encounter_ref integer NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO h17_claims (encounter_ref, created_at)
  SELECT i, to_timestamp(1800000000 - (i % 1209600) + (i::bigint * 7919) % 259200) FROM generate_series(1, 1000000) i WHERE i % 20 <> 0;
INSERT INTO h17_claims (encounter_ref, created_at)
  SELECT 2000000 + i, to_timestamp(1800000000 - (i % 1209600)) FROM generate_series(1, 50000) i;
CREATE INDEX ON h17_claims (encounter_ref);
CREATE INDEX ON h17_events (closed_at);
ANALYZE h17_events; ANALYZE h17_claims;

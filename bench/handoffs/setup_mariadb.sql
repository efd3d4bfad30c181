-- The arrivals of setup.sql in MariaDB, for the PostgreSQL → MariaDB bench:
-- the same 950 000 claims after 0-72 h and 50 000 claims without an event
-- (needs the SEQUENCE engine, on by default in MariaDB ≥ 10.1).
SET time_zone = '+00:00';
DROP TABLE IF EXISTS h17_claims;
CREATE TABLE h17_claims (id INT AUTO_INCREMENT PRIMARY KEY, encounter_ref INT NOT NULL, created_at DATETIME NOT NULL);
INSERT INTO h17_claims (encounter_ref, created_at)
  SELECT seq, FROM_UNIXTIME(1800000000 - (seq % 1209600) + (seq * 7919) % 259200)
  FROM seq_1_to_1000000 WHERE seq % 20 <> 0;
INSERT INTO h17_claims (encounter_ref, created_at)
  SELECT 2000000 + seq, FROM_UNIXTIME(1800000000 - (seq % 1209600)) FROM seq_1_to_50000;
CREATE INDEX h17_claims_ref ON h17_claims (encounter_ref);
ANALYZE TABLE h17_claims;

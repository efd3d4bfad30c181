-- Synthetic registration-desk patients (OpenEMR patient_data shape) with
-- about 2 % duplicates of the kinds desks make, generated inside
-- PostgreSQL with generate_series and hashes (no client loop), so a
-- million rows take seconds. Deterministic: the same rows every run.
--
--   psql URL -v rows=1000000 -f bench/empi/gen.sql
--
-- `truth` is the person id: rows sharing it are one person. The table is
-- then copied as is to MariaDB and to the CSV Splink reads (scale.py).

\set ON_ERROR_STOP on
DROP TABLE IF EXISTS empi_patient_data;

-- A deterministic draw in [0, n) for row i and a salt.
CREATE OR REPLACE FUNCTION pg_temp.draw(i bigint, salt int, n int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT (abs(hashtextextended(i::text, salt)) % n)::int
$$;

-- One syllable: onset, vowel, coda, each drawn by its own salt.
CREATE OR REPLACE FUNCTION pg_temp.syl(i bigint, salt int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['b','c','d','f','g','h','j','k','l','m','n','p','r','s','t','v','w','br',
                'ch','cl','dr','fr','gr','kr','pr','sh','st','tr'])[1 + pg_temp.draw(i, salt, 28)]
      || (ARRAY['a','e','i','o','u','ai','ea','ie','ou'])[1 + pg_temp.draw(i, salt + 1, 9)]
      || (ARRAY['','n','r','l','s','t','m','nd','rt','ck','ll','nn','ss','th'])[1 + pg_temp.draw(i, salt + 2, 14)]
$$;

-- A typo: a letter dropped, two adjacent letters exchanged, or one replaced.
CREATE OR REPLACE FUNCTION pg_temp.typo(s text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN length(s) < 3 THEN s || 'e'
    ELSE (SELECT CASE pg_temp.draw(i, 91, 3)
      WHEN 0 THEN left(s, p - 1) || substr(s, p + 1)
      WHEN 1 THEN left(s, p - 1) || substr(s, p + 1, 1) || substr(s, p, 1) || substr(s, p + 2)
      ELSE left(s, p - 1) || substr('aeiourstn', 1 + pg_temp.draw(i, 92, 9), 1) || substr(s, p + 1)
    END FROM (SELECT 2 + pg_temp.draw(i, 90, length(s) - 2) AS p) q)
  END
$$;

CREATE TEMP TABLE givens AS
  SELECT g AS n, initcap(pg_temp.syl(g, 10) || CASE WHEN pg_temp.draw(g, 13, 4) > 0 THEN pg_temp.syl(g, 14) ELSE '' END
                 || CASE WHEN pg_temp.draw(g, 17, 4) = 0 THEN pg_temp.syl(g, 18) ELSE '' END) AS given
  FROM generate_series(0, 2999) g
  UNION ALL
  SELECT 3000 + o - 1, initcap(formal) FROM unnest(ARRAY['robert','william','elizabeth','james','margaret',
    'richard','katherine','thomas','jennifer','michael']) WITH ORDINALITY AS t(formal, o);
CREATE TEMP TABLE nick(formal text PRIMARY KEY, nick text);
INSERT INTO nick VALUES ('Robert','Bob'),('William','Bill'),('Elizabeth','Liz'),('James','Jim'),
  ('Margaret','Peggy'),('Richard','Dick'),('Katherine','Kate'),('Thomas','Tom'),('Jennifer','Jen'),('Michael','Mike');

CREATE TEMP TABLE people AS
  SELECT p AS truth,
         g.names[1 + pg_temp.draw(p, 1, 3010)] AS fname,
         initcap(pg_temp.syl(pg_temp.draw(p, 2, 40000), 20) || pg_temp.syl(pg_temp.draw(p, 2, 40000), 23)
                 || CASE WHEN pg_temp.draw(pg_temp.draw(p, 2, 40000), 26, 3) = 0
                         THEN pg_temp.syl(pg_temp.draw(p, 2, 40000), 27) ELSE '' END) AS lname,
         date '1930-01-01' + pg_temp.draw(p, 3, 32000) AS dob,
         CASE pg_temp.draw(p, 4, 2) WHEN 0 THEN 'Male' ELSE 'Female' END AS sex,
         (200 + pg_temp.draw(p, 5, 799)) || '-555-' || lpad(pg_temp.draw(p, 6, 10000)::text, 4, '0') AS phone,
         lpad((1000 + pg_temp.draw(pg_temp.draw(p, 7, 8000), 70, 98999))::text, 5, '0') AS postal,
         (1 + pg_temp.draw(p, 8, 998)) || ' ' || initcap(pg_temp.syl(pg_temp.draw(p, 9, 20000), 30)
                 || pg_temp.syl(pg_temp.draw(p, 9, 20000), 33))
                 || (ARRAY[' Street',' Avenue',' Road',' Lane'])[1 + pg_temp.draw(pg_temp.draw(p, 9, 20000), 36, 4)] AS street,
         CASE WHEN pg_temp.draw(p, 11, 50) = 0 THEN pg_temp.draw(p, 12, 6) END AS dup_kind
  FROM generate_series(1, ceil(:rows / 1.02)::bigint) p,
       (SELECT array_agg(given ORDER BY n) AS names FROM givens) g;

CREATE TABLE empi_patient_data (pid INT PRIMARY KEY, fname VARCHAR(64), lname VARCHAR(64),
  "DOB" DATE, sex VARCHAR(16), phone_home VARCHAR(32), postal_code VARCHAR(10), street VARCHAR(128), truth INT);

INSERT INTO empi_patient_data
SELECT pid, fname, lname, dob, sex, phone, postal, street, truth FROM (
  SELECT 2 * truth - 1 AS pid, fname, lname, dob, sex, phone, postal, street, truth FROM people
  UNION ALL
  SELECT 2 * truth,
         CASE dup_kind WHEN 0 THEN pg_temp.typo(fname, truth)
                       WHEN 2 THEN coalesce((SELECT nick FROM nick WHERE formal = fname), pg_temp.typo(fname, truth))
                       WHEN 5 THEN upper(fname) ELSE fname END,
         CASE dup_kind WHEN 1 THEN pg_temp.typo(lname, truth)
                       WHEN 5 THEN ' ' || lower(lname) || ' ' ELSE lname END,
         CASE WHEN dup_kind = 3 AND extract(day FROM dob) <= 12
              THEN make_date(extract(year FROM dob)::int, extract(day FROM dob)::int, extract(month FROM dob)::int)
              ELSE dob END,
         sex,
         CASE WHEN dup_kind = 4 THEN NULL ELSE phone END,
         postal, street, truth
  FROM people WHERE dup_kind IS NOT NULL
) r ORDER BY pid LIMIT :rows;

ANALYZE empi_patient_data;
SELECT count(*) AS rows, count(DISTINCT truth) AS people FROM empi_patient_data;

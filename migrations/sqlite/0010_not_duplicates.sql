-- Pairs a reviewer marked "not a duplicate" on /admin/duplicates: the
-- probable_duplicates rule of that check leaves them out of its next runs.
-- Keys are record keys (behind authentication, like every detail), stored
-- in text order (key_a < key_b) so a pair is one row whichever way round.
CREATE TABLE not_duplicates (
    check_name TEXT NOT NULL,
    rule TEXT NOT NULL,
    key_a TEXT NOT NULL,
    key_b TEXT NOT NULL,
    marked_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (check_name, rule, key_a, key_b)
);

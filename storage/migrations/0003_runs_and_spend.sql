-- Every run a member was admitted to (a /generate, a terminal generate, a Retry): the daily
-- generation limit counts them. `spent_at` is set at the run's first prediction create and
-- never reset; a run is refunded (not counted) only when it ended before spending anything
-- (cancelled in the queue, its reply never taken by Discord).
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    owner_id      INTEGER NOT NULL,
    admitted_at   REAL    NOT NULL,
    spent_at      REAL,
    refunded      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_owner ON runs (owner_id, admitted_at);
CREATE INDEX runs_generation ON runs (generation_id, id);

-- Every prediction create sent to Replicate, with the seconds of video it asked for (what
-- Replicate bills most video models by): the daily video-seconds limit sums them.
CREATE TABLE spend (
    id            INTEGER PRIMARY KEY,
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    owner_id      INTEGER NOT NULL,
    seconds       REAL    NOT NULL,
    created_at    REAL    NOT NULL
);
CREATE INDEX spend_owner ON spend (owner_id, created_at);

-- What came before: one run per generation, spent when a clip had been attempted.
INSERT INTO runs (generation_id, owner_id, admitted_at, spent_at, refunded)
SELECT g.id, g.owner_id, g.created_at,
       (SELECT MIN(COALESCE(c.create_started_at, c.updated_at)) FROM clips c
         WHERE c.generation_id = g.id AND c.attempts > 0),
       CASE WHEN g.status = 'cancelled' THEN 1 ELSE 0 END
FROM generations g;

INSERT INTO spend (generation_id, owner_id, seconds, created_at)
SELECT c.generation_id, g.owner_id, c.duration * c.attempts,
       COALESCE(c.create_started_at, c.updated_at)
FROM clips c JOIN generations g ON g.id = c.generation_id
WHERE c.attempts > 0;

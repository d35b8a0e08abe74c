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

-- The spend is recorded by the database itself whenever a clip counts a create attempt (the
-- repository's clip_creating): no code path can ask for a prediction without it, and it costs
-- no extra round trip. Both happen in the UPDATE's own transaction.
CREATE TRIGGER clips_create_spends AFTER UPDATE OF attempts ON clips
WHEN NEW.attempts > OLD.attempts
BEGIN
    INSERT INTO spend (generation_id, owner_id, seconds, created_at)
    SELECT NEW.generation_id, g.owner_id, NEW.duration, COALESCE(NEW.create_started_at, NEW.updated_at)
    FROM generations g WHERE g.id = NEW.generation_id;
    UPDATE runs SET spent_at = COALESCE(NEW.create_started_at, NEW.updated_at)
    WHERE spent_at IS NULL
      AND id = (SELECT MAX(id) FROM runs WHERE generation_id = NEW.generation_id);
END;

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

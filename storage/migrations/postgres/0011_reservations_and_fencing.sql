-- PostgreSQL twin of sqlite/0011_reservations_and_fencing.sql (issue 18): spend reserved at
-- admission, charged to who started the run; leases with an epoch (a fencing token).
ALTER TABLE runs ADD COLUMN reserved DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN spent    DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN settled  INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_pending ON runs (owner_id) WHERE settled = 0;
-- runs from before hold no reservation; each unfinished generation's latest run stays open
-- (a create checks that its run is not settled)
UPDATE runs SET settled = 1 WHERE id NOT IN (
    SELECT MAX(r.id) FROM runs r JOIN generations g ON g.id = r.generation_id
    WHERE g.status NOT IN ('done', 'failed', 'cancelled') GROUP BY r.generation_id
);

CREATE OR REPLACE FUNCTION clips_create_spends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO spend (generation_id, owner_id, seconds, created_at)
    SELECT NEW.generation_id, r.owner_id, NEW.duration,
           COALESCE(NEW.create_started_at, NEW.updated_at)
    FROM runs r WHERE r.id = (SELECT MAX(id) FROM runs WHERE generation_id = NEW.generation_id);
    UPDATE runs SET spent_at = COALESCE(spent_at, NEW.create_started_at, NEW.updated_at),
                    spent = spent + NEW.duration
    WHERE id = (SELECT MAX(id) FROM runs WHERE generation_id = NEW.generation_id);
    RETURN NULL;  -- an AFTER trigger's result is ignored
END;
$$;

ALTER TABLE leases ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

ALTER TABLE processes ADD COLUMN instance TEXT;

-- Issue 18: spend reserved at admission, charged to who started the run; leases with an epoch.
--
-- A run holds its worst-case seconds (`reserved`) from admission until it ends (`settled`);
-- `spent` is what its creates asked. A member's usage is what was asked today plus what their
-- pending runs may still ask (reserved - spent), so queued runs cannot pass a limit together.
ALTER TABLE runs ADD COLUMN reserved REAL NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN spent    REAL NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN settled  INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_pending ON runs (owner_id) WHERE settled = 0;
-- runs from before hold no reservation; each unfinished generation's latest run stays open
-- (a create checks that its run is not settled)
UPDATE runs SET settled = 1 WHERE id NOT IN (
    SELECT MAX(r.id) FROM runs r JOIN generations g ON g.id = r.generation_id
    WHERE g.status NOT IN ('done', 'failed', 'cancelled') GROUP BY r.generation_id
);

-- The spend of a create is charged to the member who started its run (a moderator's Reroll
-- to the moderator), and counted on the run too.
DROP TRIGGER clips_create_spends;
CREATE TRIGGER clips_create_spends AFTER UPDATE OF attempts ON clips
WHEN NEW.attempts > OLD.attempts
BEGIN
    INSERT INTO spend (generation_id, owner_id, seconds, created_at)
    SELECT NEW.generation_id, r.owner_id, NEW.duration, COALESCE(NEW.create_started_at, NEW.updated_at)
    FROM runs r WHERE r.id = (SELECT MAX(id) FROM runs WHERE generation_id = NEW.generation_id);
    UPDATE runs SET spent_at = COALESCE(spent_at, NEW.create_started_at, NEW.updated_at),
                    spent = spent + NEW.duration
    WHERE id = (SELECT MAX(id) FROM runs WHERE generation_id = NEW.generation_id);
END;

-- A lease's epoch grows every time it changes hands: a fencing token. A write made for leased
-- work names the epoch it was taken at; a process that lost the lease is refused.
ALTER TABLE leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;

-- Each live process's instance: a second live process with the same name is refused at start.
ALTER TABLE processes ADD COLUMN instance TEXT;

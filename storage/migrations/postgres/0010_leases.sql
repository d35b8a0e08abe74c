-- PostgreSQL twin of sqlite/0007_leases.sql. Several processes on one database
-- (bot.pipeline.lease): a generation belongs to the process holding its lease, renewed by
-- that process's heartbeat; once expired, another process claims it (FOR UPDATE SKIP LOCKED)
-- and resumes it. A side table, not columns of `generations`: the heartbeat rewrites it every
-- few seconds without touching the rows replies and /history read.
CREATE TABLE leases (
    generation_id BIGINT PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    owner         TEXT,
    expires_at    DOUBLE PRECISION NOT NULL
);
CREATE INDEX leases_owner ON leases (owner);
CREATE INDEX leases_expiry ON leases (expires_at);

-- A lease lives while its generation is unfinished: the table stays as small as the work in
-- flight, and a claim reads only that.
CREATE FUNCTION generations_final_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM leases WHERE generation_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER generations_final_lease AFTER UPDATE OF status ON generations
FOR EACH ROW WHEN (NEW.status IN ('done', 'failed', 'cancelled'))
EXECUTE FUNCTION generations_final_lease();

-- Each process's last heartbeat: the live ones divide Replicate's account-wide budgets.
CREATE TABLE processes (
    name    TEXT PRIMARY KEY,
    beat_at DOUBLE PRECISION NOT NULL
);

-- What was unfinished before: expired leases, taken by the first process that starts.
INSERT INTO leases (generation_id, owner, expires_at)
SELECT id, NULL, 0 FROM generations WHERE status NOT IN ('done', 'failed', 'cancelled');

-- Continuity between scenes (issue 11 §3): how a generation's scenes follow each other,
-- stored with it so a resumed generation renders the same way. `parallel`: every scene at
-- once; `chained`: scene N+1 starts from the last frame of scene N, one after another.
ALTER TABLE generations ADD COLUMN continuity TEXT NOT NULL DEFAULT 'parallel';
-- Its expected wait is its scenes times the median render time of the latest clips made.
CREATE INDEX clips_succeeded_recent ON clips (updated_at) WHERE status = 'succeeded';

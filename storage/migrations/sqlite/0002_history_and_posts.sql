-- /history pages a member's own generations newest first; /generate counts today's.
CREATE INDEX generations_owner ON generations (owner_id, id DESC);
CREATE UNIQUE INDEX clips_prediction ON clips (prediction_id) WHERE prediction_id IS NOT NULL;

-- What has been posted for a generation (shot list, each clip, the film), so a restart
-- never posts anything twice.
CREATE TABLE posts (
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    created_at    REAL    NOT NULL,
    PRIMARY KEY (generation_id, key)
) WITHOUT ROWID;

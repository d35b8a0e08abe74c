-- A score (issue 22): a generation that asked for music has a row here. The music model's
-- prediction id is stored once created (a restart re-attaches to it, never creates a second);
-- the track's file once downloaded; a score left out says why.
CREATE TABLE scores (
    generation_id BIGINT  PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,  -- wanted | ready | dropped
    direction     TEXT,              -- the analysis's one line of musical direction
    prediction_id TEXT,
    audio_path    TEXT,
    reason        TEXT,
    updated_at    DOUBLE PRECISION NOT NULL
);

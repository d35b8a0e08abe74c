-- Predictions a cancel could not stop (Replicate unreachable, an error answer): tried again
-- until Replicate confirms, so a cancelled generation stops billing. `prediction_id` is NULL
-- when the clip's create was in flight and its answer lost: the prediction is then found by
-- its `inputs` (JSON), created after `create_started_at`.
CREATE TABLE pending_cancels (
    id                INTEGER PRIMARY KEY,
    clip_id           INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    prediction_id     TEXT,
    inputs            TEXT,
    create_started_at REAL,
    reason            TEXT    NOT NULL,
    created_at        REAL    NOT NULL
);

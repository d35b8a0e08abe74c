-- Rerolls (issue 11 §1): a generation's film has versions. Version 1 is the first film (its
-- row is written when the first reroll is asked for); each later version renders one scene
-- again with a new seed (and, with a note, a rewritten prompt), stitches a new cut from the
-- stored clips and delivers it once. The clips row of a scene always holds its latest take;
-- the take it replaced is kept here (`previous_*`) so a reroll that fails or is cancelled puts
-- it back, and every version's clip and film stay on disk under the generation's folder.
CREATE TABLE versions (
    id                        INTEGER PRIMARY KEY,
    generation_id             INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    number                    INTEGER NOT NULL,  -- 1 = the first film, then 2, 3, ...
    scene                     INTEGER,           -- index of the scene rendered again (NULL: v1)
    note                      TEXT,              -- the member's note, when given
    prompt                    TEXT,              -- the scene's prompt for this take, once known
    seed                      INTEGER,           -- the take's new seed
    status                    TEXT    NOT NULL,  -- queued|rewriting|rendering|stitching|delivering|done|failed|cancelled
    error                     TEXT,
    prediction_id             TEXT,              -- the new take's prediction, once it succeeded
    clip_path                 TEXT,              -- the new take's file
    film_path                 TEXT,
    delivered_at              REAL,
    delivery_ref              TEXT,
    previous_prompt           TEXT,
    previous_prediction_id    TEXT,
    previous_clip_path        TEXT,
    previous_predict_seconds  REAL,
    previous_seed             INTEGER,
    previous_version          INTEGER,
    created_at                REAL    NOT NULL,
    updated_at                REAL    NOT NULL,
    finished_at               REAL,
    UNIQUE (generation_id, number)
);

-- The take a clip row holds: which version made it (1 = the first film) and its own seed
-- when it was not derived from the generation's (a reroll's new seed).
ALTER TABLE clips ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clips ADD COLUMN seed INTEGER;

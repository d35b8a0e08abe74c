-- The cast sheet (issue 24). A generation that asked for a cast (`/generate cast:auto`, the
-- default CAST_DEFAULT) has a `casts` row, like a score: made once its shot list names
-- characters and the video model takes reference images. `image_path`/`image_name`: a member's
-- own picture of one character (checked like a start image), used instead of that portrait.
CREATE TABLE casts (
    generation_id BIGINT  PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,  -- wanted | ready | none (no character, or no references)
    image_path    TEXT,
    image_name    TEXT,
    reason        TEXT,
    updated_at    DOUBLE PRECISION NOT NULL
);
-- One portrait per named character (the shot list's `characters`, in order; which scenes show
-- whom is each scene's `characters` in the stored shot list). Its image model's prediction id
-- is stored the moment it exists (a restart re-attaches, never pays twice), then its file; a
-- recast makes a new take (`take` counts them).
CREATE TABLE cast_members (
    generation_id BIGINT  NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    look          TEXT    NOT NULL,
    status        TEXT    NOT NULL,  -- pending | ready | dropped
    source        TEXT    NOT NULL,  -- model | member
    note          TEXT,
    prediction_id TEXT,
    image_path    TEXT,
    reason        TEXT,
    take          INTEGER NOT NULL DEFAULT 1,
    updated_at    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (generation_id, idx)
);
-- The uploads of the portraits a clip's prediction names (its reference images), as JSON
-- [[name, url], ...]; each upload is a `replicate_uploads` row of the clip like its start image.
ALTER TABLE clips ADD COLUMN reference_urls TEXT;

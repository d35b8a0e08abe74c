-- Narration (issue 12): a narrated generation's voice and what became of its voice-over, and
-- each line once spoken. A line's row is written after its audio file is complete on disk:
-- the row and the file together mark it done, so a restart never asks for it (and pays) again.
CREATE TABLE narrations (
    generation_id BIGINT PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    voice         TEXT   NOT NULL,
    status        TEXT   NOT NULL,  -- wanted | narrated | dropped
    reason        TEXT,             -- why the film was delivered without narration
    updated_at    DOUBLE PRECISION NOT NULL
);

CREATE TABLE narration_lines (
    generation_id BIGINT  NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    text          TEXT    NOT NULL,
    audio_path    TEXT    NOT NULL,
    seconds       DOUBLE PRECISION NOT NULL,
    spoken_at     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (generation_id, idx)
);

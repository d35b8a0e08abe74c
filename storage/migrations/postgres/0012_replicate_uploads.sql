-- PostgreSQL twin of sqlite/0011_replicate_uploads.sql: a clip's start-image uploads at
-- Replicate, kept with their expiry until each is deleted once its prediction has ended.
CREATE TABLE replicate_uploads (
    file_id     TEXT             PRIMARY KEY,
    clip_id     BIGINT           NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    url         TEXT             NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);
CREATE INDEX replicate_uploads_clip ON replicate_uploads (clip_id);

-- Replicate uploads (issue 19 §2). A clip's start image is uploaded to Replicate's files API
-- just before its prediction is created; an upload expires (`expires_at`, an hour after it is
-- made in Replicate's own example), so it is kept here with its expiry: one about to expire is
-- uploaded again, and each is deleted (`DELETE /v1/files/{id}`) once its prediction has ended.
-- A row lives from the upload until that delete succeeded. (i19rest: the lead renumbers.)
CREATE TABLE replicate_uploads (
    file_id     TEXT    PRIMARY KEY,
    clip_id     INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    expires_at  REAL    NOT NULL,
    created_at  REAL    NOT NULL
);
CREATE INDEX replicate_uploads_clip ON replicate_uploads (clip_id);

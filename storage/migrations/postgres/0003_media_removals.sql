-- When the retention sweep (MEDIA_RETENTION_DAYS) removed a generation's media files (clips,
-- thumbnails, film). The generation and its clips stay, so /history and the reply's link
-- still answer; a generation retried after the removal and ended again is swept again.
CREATE TABLE media_removals (
    generation_id BIGINT PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    removed_at    DOUBLE PRECISION NOT NULL
);

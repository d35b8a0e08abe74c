CREATE TABLE generations (
    id               INTEGER PRIMARY KEY,
    owner_id         INTEGER NOT NULL,
    source           TEXT    NOT NULL DEFAULT 'discord',
    prompt           TEXT    NOT NULL,
    clips_requested  INTEGER,
    aspect_ratio     TEXT    NOT NULL DEFAULT '16:9',
    seed             INTEGER,
    status           TEXT    NOT NULL,
    error            TEXT,
    title            TEXT,
    shot_list        TEXT,
    guild_id         INTEGER,
    channel_id       INTEGER,
    message_id       INTEGER,
    thread_id        INTEGER,
    video_path       TEXT,
    delivered_at     REAL,
    delivery_ref     TEXT,
    predict_seconds  REAL    NOT NULL DEFAULT 0,
    created_at       REAL    NOT NULL,
    updated_at       REAL    NOT NULL,
    finished_at      REAL
);

CREATE TABLE clips (
    id                INTEGER PRIMARY KEY,
    generation_id     INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    idx               INTEGER NOT NULL,
    prompt            TEXT    NOT NULL,
    duration          INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    prediction_id     TEXT,
    output_path       TEXT,
    thumbnail_path    TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    predict_seconds   REAL    NOT NULL DEFAULT 0,
    create_started_at REAL,
    updated_at        REAL    NOT NULL,
    UNIQUE (generation_id, idx)
);

CREATE INDEX generations_status ON generations (status);

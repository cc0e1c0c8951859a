-- Drafts: the listing a seller is putting together in /post, saved at every step.

CREATE TABLE drafts (
    telegram_id     INTEGER PRIMARY KEY REFERENCES sellers (telegram_id),
    title           TEXT,
    description     TEXT,
    description_set INTEGER NOT NULL DEFAULT 0,   -- 1 once answered (skipping counts)
    price_cents     INTEGER CHECK (price_cents IS NULL OR price_cents > 0),
    currency        TEXT NOT NULL DEFAULT 'USD',
    condition       TEXT,
    category        TEXT,
    category_ids    TEXT NOT NULL DEFAULT '{}',   -- JSON: marketplace → its category id
    postal_code     TEXT,
    latitude        REAL,
    longitude       REAL,
    marketplaces    TEXT,                         -- JSON list once chosen, NULL before
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX drafts_updated_at ON drafts (updated_at);

-- Photos in the order they arrived. file_unique_id is Telegram's stable id for the file, so the
-- same message delivered twice (or the same photo sent twice) is stored once.
CREATE TABLE draft_photos (
    telegram_id     INTEGER NOT NULL REFERENCES drafts (telegram_id) ON DELETE CASCADE,
    file_unique_id  TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    path            TEXT NOT NULL,               -- the photo's bytes under DATA_DIR/drafts/
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    added_at        TEXT NOT NULL,
    PRIMARY KEY (telegram_id, file_unique_id)
);

-- What a seller told us last time, offered again next time.
CREATE TABLE seller_preferences (
    telegram_id     INTEGER PRIMARY KEY REFERENCES sellers (telegram_id),
    postal_code     TEXT,
    latitude        REAL,
    longitude       REAL,
    updated_at      TEXT NOT NULL
);

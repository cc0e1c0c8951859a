-- Sellers, the update ledger that makes handling idempotent, and PTB's persisted state.

CREATE TABLE sellers (
    telegram_id    INTEGER PRIMARY KEY,
    first_name     TEXT NOT NULL,
    username       TEXT,
    language_code  TEXT,
    created_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL
);

-- One row per Telegram update the bot has taken on. A redelivered update finds its row and is
-- skipped, so the seller is never answered twice.
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    user_id      INTEGER,
    received_at  TEXT NOT NULL
);
CREATE INDEX processed_updates_received_at ON processed_updates (received_at);

-- python-telegram-bot persistence: JSON documents keyed as PTB keys them.
CREATE TABLE ptb_user_data (
    user_id     INTEGER PRIMARY KEY,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE ptb_chat_data (
    chat_id     INTEGER PRIMARY KEY,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE ptb_bot_data (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE ptb_conversations (
    name        TEXT NOT NULL,
    conv_key    TEXT NOT NULL,   -- JSON array, e.g. [chat_id, user_id]
    state       TEXT NOT NULL,   -- JSON value
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (name, conv_key)
);
CREATE TABLE ptb_callback_data (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

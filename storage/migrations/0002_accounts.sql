-- Marketplace connections and the one-time OAuth states that create them.

-- A pending consent: only the SHA-256 of the state is kept; the PKCE verifier is encrypted.
-- browser_hash binds it to the browser that opened the link (after Telegram Login proved who
-- that was). Consumed with DELETE … RETURNING, so two callbacks cannot both win.
CREATE TABLE oauth_states (
    state_hash             TEXT PRIMARY KEY,
    telegram_id            INTEGER NOT NULL,
    marketplace            TEXT NOT NULL,
    code_verifier_enc      TEXT,
    browser_hash           TEXT,
    created_at             TEXT NOT NULL,
    expires_at             TEXT NOT NULL
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

-- One connection per seller and marketplace. Tokens are Fernet ciphertext, never plain text.
CREATE TABLE marketplace_accounts (
    telegram_id            INTEGER NOT NULL REFERENCES sellers (telegram_id),
    marketplace            TEXT NOT NULL,
    external_id            TEXT NOT NULL,
    display_name           TEXT NOT NULL,
    access_token_enc       TEXT NOT NULL,
    refresh_token_enc      TEXT,
    expires_at             TEXT,
    refresh_expires_at     TEXT,
    scope                  TEXT,
    extra                  TEXT NOT NULL DEFAULT '{}',   -- JSON: catalog id, policy ids …
    status                 TEXT NOT NULL DEFAULT 'connected'
                           CHECK (status IN ('connected', 'needs_reconnect')),
    status_notified_at     TEXT,
    expiry_warned_at       TEXT,
    connected_at           TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    PRIMARY KEY (telegram_id, marketplace)
);
CREATE INDEX marketplace_accounts_expires_at ON marketplace_accounts (expires_at);

-- Listings the seller confirmed, and one cross-post per chosen marketplace.

CREATE TABLE listings (
    id              INTEGER PRIMARY KEY,
    telegram_id     INTEGER NOT NULL REFERENCES sellers (telegram_id),
    sku             TEXT NOT NULL UNIQUE,          -- our idempotency key on every marketplace
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    price_cents     INTEGER NOT NULL CHECK (price_cents > 0),
    currency        TEXT NOT NULL DEFAULT 'USD',
    condition       TEXT NOT NULL,
    category        TEXT,
    category_ids    TEXT NOT NULL DEFAULT '{}',
    postal_code     TEXT,
    latitude        REAL,
    longitude       REAL,
    state           TEXT NOT NULL DEFAULT 'active'
                    CHECK (state IN ('active', 'sold', 'withdrawn')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX listings_seller ON listings (telegram_id, created_at);

CREATE TABLE listing_photos (
    listing_id      INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    path            TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    PRIMARY KEY (listing_id, position)
);

-- pending → in_flight → published | failed; a published copy later becomes sold / withdrawn /
-- ended. The engine resumes pending and in_flight rows at start; publishing is idempotent on
-- the listing's sku, so a resumed row never makes a second listing.
CREATE TABLE cross_posts (
    listing_id      INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    marketplace     TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'published', 'failed',
                                     'sold', 'withdrawn', 'ended')),
    external_id     TEXT,
    url             TEXT,
    error           TEXT,                          -- a sentence for the seller
    error_field     TEXT,
    retryable       INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (listing_id, marketplace)
);
CREATE INDEX cross_posts_state ON cross_posts (state);

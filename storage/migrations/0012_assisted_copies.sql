-- Copies the seller posts by hand on marketplaces without a listing API (Facebook Marketplace,
-- OfferUp without a partner, Mercari, …): the kit the bot sent, the link the seller pasted,
-- and the reminders that keep those copies in step with the rest.
CREATE TABLE assisted_copies (
    listing_id INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    marketplace TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending, kit_sent, tracked, skipped, ended
    url TEXT,
    card_message_id INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (listing_id, marketplace)
);

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    marketplace TEXT NOT NULL,
    reason TEXT NOT NULL,  -- kit, sold, ended, withdrawn, price
    sold_on TEXT,  -- for "sold": where it sold
    price_cents INTEGER,  -- for "price": the new price
    due_at TEXT NOT NULL,
    times_sent INTEGER NOT NULL DEFAULT 0,
    done_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE done_at IS NULL;

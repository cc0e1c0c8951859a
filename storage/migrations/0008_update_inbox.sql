-- The update ledger becomes an inbox too. python-telegram-bot confirms an update to Telegram
-- as soon as it is queued, before any handler runs; a crash in between lost it. Now each
-- update is written here (payload, unclaimed) before it is queued, claimed when its handling
-- starts (the payload is dropped then), and a restart handles whatever is still unclaimed.
ALTER TABLE processed_updates ADD COLUMN payload TEXT;
ALTER TABLE processed_updates ADD COLUMN claimed_at TEXT;
UPDATE processed_updates SET claimed_at = received_at;
CREATE INDEX processed_updates_unclaimed ON processed_updates (update_id)
    WHERE claimed_at IS NULL;

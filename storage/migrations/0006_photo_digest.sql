-- The same picture sent twice (a resend from the phone gets a new Telegram file id) is kept
-- once: marketplaces refuse listings that repeat a photo. Rows from before have no digest.
ALTER TABLE draft_photos ADD COLUMN digest TEXT;
CREATE UNIQUE INDEX draft_photos_digest ON draft_photos (telegram_id, digest);

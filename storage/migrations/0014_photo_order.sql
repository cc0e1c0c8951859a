-- A photo received as a file has a document's file id, which Telegram refuses as a photo: the
-- preview uploads the cleaned JPEG once and keeps the photo file id Telegram gives it here.
ALTER TABLE draft_photos ADD COLUMN photo_file_id TEXT;
-- The seller may move a photo to the front (the cover) or remove one: the order is kept here,
-- ties (rows from before) in the order the photos came.
ALTER TABLE draft_photos ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

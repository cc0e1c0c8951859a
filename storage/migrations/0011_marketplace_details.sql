-- What a marketplace asks in its own terms, kept with the draft and then the listing: eBay's
-- category path, its condition id for the category and a condition note for a used item, the
-- item specifics (name → values) and the parcel for calculated shipping. The *_set flags say a
-- skippable step was answered, so a restart does not ask it again.
ALTER TABLE drafts ADD COLUMN category_path TEXT;
ALTER TABLE drafts ADD COLUMN condition_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE drafts ADD COLUMN condition_note TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN condition_note_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN aspects TEXT NOT NULL DEFAULT '{}';
ALTER TABLE drafts ADD COLUMN details_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN package TEXT;
ALTER TABLE listings ADD COLUMN condition_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE listings ADD COLUMN condition_note TEXT NOT NULL DEFAULT '';
ALTER TABLE listings ADD COLUMN aspects TEXT NOT NULL DEFAULT '{}';
ALTER TABLE listings ADD COLUMN package TEXT;

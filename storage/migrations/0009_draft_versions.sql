-- Every draft gets a version, so a button made for one draft can never act on the next one.
-- It counts the drafts a seller has started, kept on the seller because a draft's own row goes
-- when it is posted or replaced. Drafts from before are version 0; their buttons were made
-- before buttons carried versions and are answered as finished.
ALTER TABLE sellers ADD COLUMN drafts_started INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

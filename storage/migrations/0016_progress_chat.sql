-- The progress message is a message in a chat: its chat id is stored with its message id, so
-- it is only ever edited where it was sent. A listing from before this migration has a message
-- id without a chat (the id may even be a group's), so it is never edited: its next report
-- goes out as a new message to the seller and is recorded with its chat.
ALTER TABLE listings ADD COLUMN progress_chat_id INTEGER;

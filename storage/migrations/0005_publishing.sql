-- Publishing survives restarts: the progress message to keep editing, and when a failed
-- cross-post may be tried again.
ALTER TABLE listings ADD COLUMN progress_message_id INTEGER;
ALTER TABLE cross_posts ADD COLUMN next_attempt_at TEXT;

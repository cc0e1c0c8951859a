-- A copy being posted when the process died is resumed at the next start. One whose posting
-- kills the process every time would do so at every start: each start counts the copies it
-- finds in flight here, and a copy interrupted twice is set aside until the seller retries.
ALTER TABLE cross_posts ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;

-- When the seller was shown how posting ended. A crash between the last marketplace result
-- and the message that says so would otherwise leave the chat at "⏳" for good: a restart
-- tells every listing that has no such mark. Listings from before were told already.
ALTER TABLE listings ADD COLUMN outcome_told_at TEXT;
UPDATE listings SET outcome_told_at = updated_at;

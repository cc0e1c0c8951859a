-- What went wrong with a copy is stored as a kind, not as a chat sentence: the bot words it
-- (and can word it differently later) from the kind, the marketplace and the copy's timing.
-- `error` keeps only the marketplace's own reason for a refusal.
ALTER TABLE cross_posts ADD COLUMN error_kind TEXT;
UPDATE cross_posts SET error_kind = CASE
    WHEN error IS NULL THEN NULL
    WHEN state = 'failed' AND retryable = 1 THEN 'busy'
    WHEN state = 'failed' AND error LIKE '%isn''t answering%' THEN 'gave_up'
    WHEN state = 'failed' AND error LIKE '%connected again%' THEN 'reconnect'
    WHEN error LIKE 'couldn''t end it there yet%' THEN 'not_ended'
    WHEN error LIKE '%didn''t take the new price yet.' THEN 'price_not_taken'
    ELSE 'refused'
END;
UPDATE cross_posts SET error = NULL WHERE error_kind IN ('busy', 'gave_up', 'reconnect',
                                                        'not_ended', 'price_not_taken');

-- A refusal can name several fields (OfferUp lists every invalid one): error_fields holds them
-- all, as a JSON list, where error_field held only the first.
ALTER TABLE cross_posts RENAME COLUMN error_field TO error_fields;
UPDATE cross_posts SET error_fields = '["' || error_fields || '"]' WHERE error_fields IS NOT NULL;
-- What the seller fixed for one marketplace after it refused a field: that copy's own values
-- (a JSON object, e.g. {"title": "Brass desk lamp"}), laid over the listing's when that
-- marketplace is published to. The listing and its other copies keep their own.
ALTER TABLE cross_posts ADD COLUMN fixes TEXT NOT NULL DEFAULT '{}';

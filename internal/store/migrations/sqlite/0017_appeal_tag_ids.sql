-- An appeal for a tag names the tag by its ID, so renaming the tag's slug
-- keeps the appeal on it. Keep in step with ../postgres/0017_appeal_tag_ids.sql:
-- TestMigrationsParity compares them.

-- target_tag_id is set for appeals whose target_kind is 'tag'; a deleted
-- tag leaves it NULL, and the appeal runs nowhere until an editor picks
-- another. target_value keeps only language codes from now on.
ALTER TABLE appeals ADD COLUMN target_tag_id TEXT REFERENCES tags (id) ON DELETE SET NULL;
CREATE INDEX appeals_target_tag_id ON appeals (target_tag_id);

-- Existing tag appeals move from the slug to the ID of the tag that has it
-- now; one whose slug no tag has any more ran nowhere and keeps doing so.
UPDATE appeals SET target_tag_id = (SELECT tags.id FROM tags WHERE tags.slug = appeals.target_value), target_value = ''
WHERE target_kind = 'tag';

-- A member's claim lines are found through a BRIN index instead of a B-tree. Every claim line
-- written added an entry to the B-tree (about a microsecond of the server's time each, an
-- eighth of what storing a line costs), while a member's lines lie together in the table:
-- a message (JW323) is one provider's claim to one member, and the importer stores the lines
-- of a CSV file's batch member by member (production/import.rs). A BRIN index keeps only the
-- lowest and highest member and month per few pages, costs next to nothing to keep up, and
-- leads a member's list to the pages that can hold its lines; it rechecks them.
DROP INDEX claim_lines_member;
CREATE INDEX claim_lines_member ON claim_lines USING brin (region_id, municipality_code, month)
    WITH (pages_per_range = 4, autosummarize = on);

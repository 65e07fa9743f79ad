-- SQLite stores client_years in key order from this migration on (WITHOUT ROWID); PostgreSQL
-- keeps its heap with the primary-key index, which serves the same reads. Kept so both trees
-- have the same numbers.
SELECT 1;

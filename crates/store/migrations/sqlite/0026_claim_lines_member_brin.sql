-- PostgreSQL finds a member's claim lines through a BRIN index from this migration on; SQLite
-- has no BRIN and keeps its B-tree. Kept so both trees have the same numbers.
SELECT 1;

-- PostgreSQL compares claim-line references byte by byte from this migration on; SQLite always
-- did (BINARY). Kept so both trees have the same numbers.
SELECT 1;

-- A claim line's reference is the provider's identifier (TR314), compared only for equality and
-- never sorted for people: byte order ("C") fits it. Under a language collation every key
-- comparison in the primary key went through the locale's rules, about 0.4 s of the 6.5 s
-- PostgreSQL spent storing a million lines. The references are compared only with values the
-- importer passes, never with another table's column, so no comparison mixes collations.
ALTER TABLE claim_lines
    ALTER COLUMN reference TYPE TEXT COLLATE "C",
    ALTER COLUMN previous_reference TYPE TEXT COLLATE "C";

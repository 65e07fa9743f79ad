-- The primary key of claim lines puts the reference before the law. Every line written checks the
-- key, and PostgreSQL compares an index entry column by column: with `law` (text under the
-- database's collation) third, every comparison went through the locale's rules and could not
-- find `reference` at a fixed place in the entry. The reference decides nearly every comparison
-- on its own; the law now only breaks ties. The same four columns stay unique, and every lookup
-- names all four. COPY of a million lines: 6.6 → 5.9 s of server time.
ALTER TABLE claim_lines DROP CONSTRAINT claim_lines_pkey;
CREATE UNIQUE INDEX claim_lines_reference ON claim_lines (region_id, provider_id, reference, law);
ALTER TABLE claim_lines ADD CONSTRAINT claim_lines_pkey PRIMARY KEY USING INDEX claim_lines_reference;
-- A member's code (GM0518) is compared only with the code a query passes, for the member index
-- that every line adds to; byte order spares the locale's rules there too.
ALTER TABLE claim_lines ALTER COLUMN municipality_code TYPE TEXT COLLATE "C";

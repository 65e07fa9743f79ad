-- The claim lines and the money per client are written by the importer alone, in the same
-- transaction as the claim, import and provider rows they point to; nothing deletes those.
-- Their foreign-key checks cost a third of an import's time on PostgreSQL, so the fact
-- tables go without them. The reference index leads with the provider, so it also serves a
-- provider's own rows and the separate provider index goes.
ALTER TABLE claim_lines
    DROP CONSTRAINT claim_lines_region_id_fkey,
    DROP CONSTRAINT claim_lines_import_id_fkey,
    DROP CONSTRAINT claim_lines_claim_id_fkey,
    DROP CONSTRAINT claim_lines_provider_id_fkey;
ALTER TABLE client_years DROP CONSTRAINT client_years_region_id_fkey;
DROP INDEX claim_lines_provider;
DROP INDEX claim_lines_reference;
CREATE UNIQUE INDEX claim_lines_reference ON claim_lines (region_id, provider_id, law, reference);
-- Each month's import updates most rows of the year again; room on the page lets PostgreSQL
-- update them in place (HOT) instead of adding index entries for every update.
ALTER TABLE client_years SET (fillfactor = 70);

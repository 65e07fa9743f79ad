-- The claim lines and the money per client are written by the importer alone, in the same
-- transaction as the claim, import and provider rows they point to; nothing deletes those.
-- Their foreign-key checks are a large part of an import's time, so the fact tables go
-- without them (SQLite needs the tables rebuilt for that). The reference index leads with the
-- provider, so it also serves a provider's own rows and the separate provider index goes.
CREATE TABLE claim_lines_lean (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id BIGINT NOT NULL,
    import_id BIGINT NOT NULL,
    claim_id BIGINT NOT NULL,
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    client TEXT NOT NULL,
    reference TEXT NOT NULL,
    previous_reference TEXT,
    assignment_number BIGINT NOT NULL,
    category TEXT NOT NULL,
    product_code TEXT,
    lot_id BIGINT,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    month INTEGER NOT NULL,
    volume BIGINT NOT NULL,
    unit TEXT NOT NULL,
    tariff_cents BIGINT,
    amount_cents BIGINT NOT NULL,
    contract_tariff_cents BIGINT,
    rejected BOOLEAN NOT NULL
);
INSERT INTO claim_lines_lean SELECT * FROM claim_lines;
DROP TABLE claim_lines;
ALTER TABLE claim_lines_lean RENAME TO claim_lines;
CREATE UNIQUE INDEX claim_lines_reference ON claim_lines (region_id, provider_id, law, reference);
CREATE INDEX claim_lines_member ON claim_lines (region_id, municipality_code, month);
CREATE INDEX claim_lines_above_tariff ON claim_lines (region_id, provider_id)
    WHERE tariff_cents > contract_tariff_cents;

CREATE TABLE client_years_lean (
    region_id BIGINT NOT NULL,
    law TEXT NOT NULL,
    year INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    client TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, year, municipality_code, provider_id, category, client)
);
INSERT INTO client_years_lean SELECT * FROM client_years;
DROP TABLE client_years;
ALTER TABLE client_years_lean RENAME TO client_years;

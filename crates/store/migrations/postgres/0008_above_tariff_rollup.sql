-- Claim lines above the contracted tariff per member, provider and month, kept by the importer
-- like the spend rollups: the signal page reads these instead of searching the claim lines.
CREATE TABLE above_tariff_months (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    month INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    -- (claimed − contracted tariff) × volume, in cents
    cents_above BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, month, municipality_code, provider_id)
);

INSERT INTO above_tariff_months (region_id, law, month, municipality_code, provider_id, lines, cents_above)
SELECT region_id, law, month, municipality_code, provider_id, COUNT(*),
       SUM((tariff_cents - contract_tariff_cents) * volume)
FROM claim_lines WHERE tariff_cents > contract_tariff_cents AND NOT rejected
GROUP BY region_id, law, month, municipality_code, provider_id;

-- Money per client and year, stored in the order of its key (WITHOUT ROWID): reading a year of a
-- region per member, provider and category is then one sequential pass over the table instead
-- of a random lookup per row, and each upsert touches one B-tree instead of two.
CREATE TABLE client_years_clustered (
    region_id BIGINT NOT NULL,
    law TEXT NOT NULL,
    year INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    client TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, year, municipality_code, provider_id, category, client)
) WITHOUT ROWID;
INSERT INTO client_years_clustered SELECT region_id, law, year, municipality_code, provider_id, category, client, amount_cents FROM client_years;
DROP TABLE client_years;
ALTER TABLE client_years_clustered RENAME TO client_years;

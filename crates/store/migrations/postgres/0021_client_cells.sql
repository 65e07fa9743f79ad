-- Money per client and year was one table keyed by (region, law, year, member, provider,
-- category, client). Every month's file updates most of its rows again, and with four text
-- columns ahead of the client each key comparison walked them all: the upsert took more of an
-- import's time than the claim lines. The group now has a number of its own (client_cells) and
-- the amounts are keyed by (cell, client); `client_years` stays, as a view, for the readers.
CREATE TABLE client_cells (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL,
    law TEXT NOT NULL,
    year INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    UNIQUE (region_id, law, year, municipality_code, provider_id, category)
);
-- The pseudonym is hexadecimal: byte order is its order, and comparing bytes is cheapest.
CREATE TABLE client_year_amounts (
    cell_id BIGINT NOT NULL,
    client TEXT COLLATE "C" NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (cell_id, client)
) WITH (fillfactor = 70);

INSERT INTO client_cells (region_id, law, year, municipality_code, provider_id, category)
SELECT DISTINCT region_id, law, year, municipality_code, provider_id, category FROM client_years;
INSERT INTO client_year_amounts (cell_id, client, amount_cents)
SELECT c.id, y.client, y.amount_cents FROM client_years y
JOIN client_cells c ON c.region_id = y.region_id AND c.law = y.law AND c.year = y.year
    AND c.municipality_code = y.municipality_code AND c.provider_id = y.provider_id AND c.category = y.category;
DROP TABLE client_years;

CREATE VIEW client_years AS
SELECT c.region_id, c.law, c.year, c.municipality_code, c.provider_id, c.category, a.client, a.amount_cents
FROM client_cells c JOIN client_year_amounts a ON a.cell_id = c.id;

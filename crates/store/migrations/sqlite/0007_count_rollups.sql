-- Counts the forecast and signal pages need, kept by the importer so that they read a few
-- thousand rows whatever the region's size (a national region has close to a million
-- assignments and clients per year).

-- Assignments (deleted ones not counted) starting and ending per member and month; the
-- number running in a month follows from the sums up to it.
CREATE TABLE assignment_months (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    month INTEGER NOT NULL,
    started BIGINT NOT NULL,
    ended BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, municipality_code, month)
);

-- Distinct clients and money per year, per member (grouping 'gemeente') and per provider and
-- category (grouping 'aanbieder-categorie', key 'provider category').
CREATE TABLE client_counts (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    year INTEGER NOT NULL,
    grouping TEXT NOT NULL,
    key TEXT NOT NULL,
    clients BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, year, grouping, key)
);

INSERT INTO assignment_months (region_id, law, municipality_code, month, started, ended)
SELECT region_id, law, municipality_code, month, SUM(started), SUM(ended) FROM (
    SELECT region_id, law, municipality_code,
           CAST(substr(starts_on, 1, 4) || substr(starts_on, 6, 2) AS INTEGER) AS month, 1 AS started, 0 AS ended
    FROM assignments WHERE change_reason IS NULL OR change_reason <> '13'
    UNION ALL
    SELECT region_id, law, municipality_code,
           CAST(substr(ends_on, 1, 4) || substr(ends_on, 6, 2) AS INTEGER), 0, 1
    FROM assignments WHERE ends_on IS NOT NULL AND (change_reason IS NULL OR change_reason <> '13')
) GROUP BY region_id, law, municipality_code, month;

INSERT INTO client_counts (region_id, law, year, grouping, key, clients, amount_cents)
SELECT region_id, law, year, 'gemeente', municipality_code, COUNT(DISTINCT client), SUM(amount_cents)
FROM client_years GROUP BY region_id, law, year, municipality_code;
INSERT INTO client_counts (region_id, law, year, grouping, key, clients, amount_cents)
SELECT region_id, law, year, 'aanbieder-categorie', CAST(provider_id AS TEXT) || ' ' || category,
       COUNT(DISTINCT client), SUM(amount_cents)
FROM client_years GROUP BY region_id, law, year, provider_id, category;

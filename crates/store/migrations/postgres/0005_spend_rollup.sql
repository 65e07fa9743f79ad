-- Spend per month and one dimension at a time (member, provider, lot, product), kept by the
-- importer next to spend_months. A region of hundreds of members and thousands of providers
-- has millions of spend_months cells; these stay small, so a spend view reads a few thousand
-- rows whatever the region's size.
CREATE TABLE spend_rollup (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    -- gemeente, aanbieder, perceel or product
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    month INTEGER NOT NULL,
    amount_cents BIGINT NOT NULL,
    volume BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, dimension, key, month)
);

-- Already imported spend, rolled up once.
INSERT INTO spend_rollup (region_id, law, dimension, key, month, amount_cents, volume, lines)
SELECT region_id, law, 'gemeente', municipality_code, month, SUM(amount_cents), SUM(volume), SUM(lines)
FROM spend_months GROUP BY region_id, law, municipality_code, month;
INSERT INTO spend_rollup (region_id, law, dimension, key, month, amount_cents, volume, lines)
SELECT region_id, law, 'aanbieder', CAST(provider_id AS TEXT), month, SUM(amount_cents), SUM(volume), SUM(lines)
FROM spend_months GROUP BY region_id, law, provider_id, month;
INSERT INTO spend_rollup (region_id, law, dimension, key, month, amount_cents, volume, lines)
SELECT region_id, law, 'perceel', CAST(lot_id AS TEXT), month, SUM(amount_cents), SUM(volume), SUM(lines)
FROM spend_months GROUP BY region_id, law, lot_id, month;
INSERT INTO spend_rollup (region_id, law, dimension, key, month, amount_cents, volume, lines)
SELECT region_id, law, 'product', category || ' ' || product_code, month, SUM(amount_cents), SUM(volume), SUM(lines)
FROM spend_months GROUP BY region_id, law, category, product_code, month;

-- Money per client and year moves from a row per client into its group (client_cells): one
-- value of 24 bytes per client (the pseudonym's 16 bytes, then the cents as a signed 64-bit
-- number, both big-endian, in ascending order of pseudonym; see production/client_money.rs),
-- with the group's client count and total beside it. Every month's file brings most clients
-- again: updating a row per client cost a third of an import's time, rewriting one value per
-- group a fraction of that. Nothing else writes these; readers decode them in Rust.
ALTER TABLE client_cells
    ADD COLUMN clients BYTEA NOT NULL DEFAULT '\x',
    ADD COLUMN client_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN amount_cents BIGINT NOT NULL DEFAULT 0;
-- Pseudonyms do not compress: storing them out of line as they are saves trying.
ALTER TABLE client_cells ALTER COLUMN clients SET STORAGE EXTERNAL;

UPDATE client_cells c SET clients = p.clients, client_count = p.clients_n, amount_cents = p.cents
FROM (
    SELECT cell_id, string_agg(decode(client, 'hex') || int8send(amount_cents), ''::bytea ORDER BY client) AS clients,
           COUNT(*) AS clients_n, CAST(SUM(amount_cents) AS BIGINT) AS cents
    FROM client_year_amounts GROUP BY cell_id
) p
WHERE c.id = p.cell_id;

DROP VIEW client_years;
DROP TABLE client_year_amounts;

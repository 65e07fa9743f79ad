-- Money per client and year moves from a row per client into its group (client_cells): one
-- value of 24 bytes per client (the pseudonym's 16 bytes, then the cents as a signed 64-bit
-- number, both big-endian, in ascending order of pseudonym; see production/client_money.rs),
-- with the group's client count and total beside it. See the PostgreSQL migration for why.
ALTER TABLE client_cells ADD COLUMN clients BLOB NOT NULL DEFAULT x'';
ALTER TABLE client_cells ADD COLUMN client_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE client_cells ADD COLUMN amount_cents BIGINT NOT NULL DEFAULT 0;

-- printf's %016x writes a negative amount as its 64-bit two's complement, as the packing does.
UPDATE client_cells SET
    clients = COALESCE((
        SELECT CAST(group_concat(unhex(a.client || printf('%016x', a.amount_cents)), '' ORDER BY a.client) AS BLOB)
        FROM client_year_amounts a WHERE a.cell_id = client_cells.id), x''),
    client_count = (SELECT COUNT(*) FROM client_year_amounts a WHERE a.cell_id = client_cells.id),
    amount_cents = (SELECT COALESCE(SUM(a.amount_cents), 0) FROM client_year_amounts a WHERE a.cell_id = client_cells.id);

DROP VIEW client_years;
DROP TABLE client_year_amounts;

-- Production data, PostgreSQL dialect (twin: ../sqlite/0004_production.sql): imported iJw/iWmo messages
-- and CSV files, what they assigned, started, stopped and claimed, the records that were
-- quarantined with their reasons, and the pre-aggregated spend the views read.
--
-- Clients appear only as a keyed pseudonym (32 hex characters, HMAC-SHA256 under a region key
-- kept outside the database). Months are integers yyyymm. Municipalities are GM codes.

CREATE TABLE imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('xml', 'csv', 'herverwerking')),
    -- JW323, WMO301, CSV declaratieregels, …
    message TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('bezig', 'klaar', 'afgewezen', 'dubbel')),
    bytes BIGINT NOT NULL,
    records BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    warnings BIGINT NOT NULL,
    -- A member imports only its own municipality's data.
    municipality_scope TEXT,
    duplicate_of BIGINT REFERENCES imports(id),
    imported_by TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
-- The same file adds nothing a second time.
CREATE UNIQUE INDEX imports_file ON imports (region_id, sha256) WHERE status = 'klaar';
CREATE INDEX imports_region ON imports (region_id, id);

-- What was wrong with a record or a file. A quarantined record keeps the record itself
-- (pseudonymised) and what it belonged to, so it can be processed again after a fix.
CREATE TABLE import_problems (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports(id),
    region_id BIGINT NOT NULL REFERENCES regions(id),
    line BIGINT,
    byte_offset BIGINT NOT NULL,
    field TEXT NOT NULL,
    rule TEXT NOT NULL,
    message TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('fout', 'waarschuwing')),
    municipality_code TEXT,
    provider_id BIGINT,
    record_json TEXT,
    context_json TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'verwerkt', 'blijvend')),
    resolved_at TIMESTAMPTZ
);
CREATE INDEX import_problems_import ON import_problems (import_id, id);
CREATE INDEX import_problems_open ON import_problems (region_id, status);

-- 301: the newest version of each assignment (Toewijzingsdatum + Toewijzingstijd wins).
CREATE TABLE assignments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    import_id BIGINT NOT NULL REFERENCES imports(id),
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    client TEXT NOT NULL,
    number BIGINT NOT NULL,
    category TEXT,
    product_code TEXT,
    assigned_on DATE NOT NULL,
    assigned_at TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE,
    change_reason TEXT,
    volume BIGINT,
    unit TEXT,
    frequency TEXT,
    budget_cents BIGINT
);
CREATE UNIQUE INDEX assignments_number ON assignments (region_id, law, municipality_code, number);
CREATE INDEX assignments_provider ON assignments (region_id, provider_id);

-- 305 and 307.
CREATE TABLE care_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    import_id BIGINT NOT NULL REFERENCES imports(id),
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    client TEXT NOT NULL,
    assignment_number BIGINT,
    category TEXT,
    product_code TEXT,
    starts_on DATE NOT NULL,
    ends_on DATE,
    stop BOOLEAN NOT NULL,
    reason TEXT,
    status TEXT NOT NULL
);
CREATE UNIQUE INDEX care_events_key ON care_events
    (region_id, law, provider_id, client, COALESCE(assignment_number, -1), starts_on, stop);

-- 323 claims, with the granted total once the 325 answer is in.
CREATE TABLE claims (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    import_id BIGINT NOT NULL REFERENCES imports(id),
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    number TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    claim_date DATE NOT NULL,
    submitted_cents BIGINT NOT NULL,
    granted_cents BIGINT
);
CREATE UNIQUE INDEX claims_number ON claims (region_id, law, provider_id, number);

-- 323 claim lines. Amounts are signed: a credit line is negative. A line the municipality
-- rejected in its 325 answer stays, marked, and no longer counts as spend.
CREATE TABLE claim_lines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    import_id BIGINT NOT NULL REFERENCES imports(id),
    claim_id BIGINT NOT NULL REFERENCES claims(id),
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    client TEXT NOT NULL,
    reference TEXT NOT NULL,
    previous_reference TEXT,
    assignment_number BIGINT NOT NULL,
    category TEXT NOT NULL,
    product_code TEXT,
    lot_id BIGINT,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    month INTEGER NOT NULL,
    volume BIGINT NOT NULL,
    unit TEXT NOT NULL,
    tariff_cents BIGINT,
    amount_cents BIGINT NOT NULL,
    -- The contracted tariff where one applies; a claim above it is a signal.
    contract_tariff_cents BIGINT,
    rejected BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX claim_lines_reference ON claim_lines (region_id, law, provider_id, reference);
CREATE INDEX claim_lines_member ON claim_lines (region_id, municipality_code, month);
CREATE INDEX claim_lines_provider ON claim_lines (region_id, provider_id, month);
CREATE INDEX claim_lines_above_tariff ON claim_lines (region_id, provider_id)
    WHERE tariff_cents > contract_tariff_cents;

-- Spend per month and every dimension the views group by, kept up to date by the importer in
-- the same transaction. lot_id 0 = no contract found; product_code '' = aspecific.
CREATE TABLE spend_months (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    month INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    lot_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    product_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    volume BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, month, municipality_code, provider_id, lot_id, category, product_code)
);

-- Money per client per year, for client counts and price per client.
CREATE TABLE client_years (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL,
    year INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    provider_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    client TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (region_id, law, year, municipality_code, provider_id, category, client)
);

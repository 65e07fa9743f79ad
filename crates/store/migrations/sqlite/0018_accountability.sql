-- One submission for all members (issue 8): the region asks every provider once for figures
-- per member or for the provider as a whole; a provider's submission is kept in versions (a
-- correction never overwrites what was sent before), with the members it concerned at the time.

CREATE TABLE accountability_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('productie', 'kwaliteit', 'wachttijden', 'overig')),
    frequency TEXT NOT NULL CHECK (frequency IN ('jaarlijks', 'kwartaal', 'eenmalig')),
    period TEXT NOT NULL,
    description TEXT,
    -- The figures asked, as a JSON list of {key, label, unit, scope}.
    fields TEXT NOT NULL,
    deadline TEXT NOT NULL,
    -- Only providers with a contract in this lot are asked; NULL: every provider with a contract.
    lot_id INTEGER REFERENCES lots(id),
    status TEXT NOT NULL CHECK (status IN ('concept', 'open', 'gesloten')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    opened_at TEXT,
    closed_at TEXT
);
CREATE INDEX accountability_requests_region ON accountability_requests (region_id);

CREATE TABLE accountability_submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES accountability_requests(id),
    provider_id INTEGER NOT NULL REFERENCES providers(id),
    version INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('formulier', 'csv', 'json')),
    late INTEGER NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (request_id, provider_id, version)
);

-- The members a submission concerned: each sees its own figures and those of the provider as a whole.
CREATE TABLE accountability_submission_members (
    submission_id INTEGER NOT NULL REFERENCES accountability_submissions(id),
    municipality_code TEXT NOT NULL,
    PRIMARY KEY (submission_id, municipality_code)
);

-- One value; municipality_code '' for a figure of the provider as a whole.
CREATE TABLE accountability_values (
    submission_id INTEGER NOT NULL REFERENCES accountability_submissions(id),
    municipality_code TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (submission_id, municipality_code, field)
);

-- Hours a provider spends on one submission of a kind, as the region estimates them.
CREATE TABLE burden_hours (
    region_id INTEGER NOT NULL REFERENCES regions(id),
    kind TEXT NOT NULL CHECK (kind IN ('productie', 'kwaliteit', 'wachttijden', 'overig')),
    hours INTEGER NOT NULL CHECK (hours >= 0 AND hours <= 1000),
    PRIMARY KEY (region_id, kind)
);

-- Exchange placements (wisselstage, issue 8): member staff spend time at a provider and provider
-- staff at a member. A round collects places and participants, gets a stable matching that the
-- coordinator may adjust and confirms, and ends with what participants learned.

CREATE TABLE exchange_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    description TEXT,
    -- aanmelden: places and participants come in; voorstel: a matching awaits confirmation;
    -- bevestigd: the coordinator confirmed it.
    status TEXT NOT NULL CHECK (status IN ('aanmelden', 'voorstel', 'bevestigd')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX exchange_rounds_region ON exchange_rounds (region_id);

CREATE TABLE exchange_places (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES exchange_rounds(id),
    -- The host: a member municipality or a provider, never both.
    host_municipality TEXT,
    host_provider_id INTEGER REFERENCES providers(id),
    theme TEXT NOT NULL,
    description TEXT,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('online', 'op-locatie')),
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_reason TEXT,
    CHECK ((host_municipality IS NULL) <> (host_provider_id IS NULL))
);
CREATE INDEX exchange_places_round ON exchange_places (round_id);

CREATE TABLE exchange_participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES exchange_rounds(id),
    name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    -- The participant's own organisation: a member municipality or a provider.
    municipality_code TEXT,
    provider_id INTEGER REFERENCES providers(id),
    -- Place ids, best first (JSON list).
    preferences TEXT NOT NULL,
    -- Made up for a demonstration, not a person.
    generated INTEGER NOT NULL DEFAULT 0,
    registered_by TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    -- The current matching: proposed, adjusted or confirmed according to the round's status.
    place_id INTEGER REFERENCES exchange_places(id),
    CHECK ((municipality_code IS NULL) <> (provider_id IS NULL))
);
CREATE INDEX exchange_participants_round ON exchange_participants (round_id);

CREATE TABLE exchange_lessons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES exchange_rounds(id),
    participant_id INTEGER NOT NULL UNIQUE REFERENCES exchange_participants(id),
    learned TEXT NOT NULL,
    surprised TEXT,
    takeaway TEXT NOT NULL,
    tip_for_region TEXT,
    -- Would you recommend it to a colleague, 1 (no) to 5 (certainly).
    recommend INTEGER NOT NULL CHECK (recommend BETWEEN 1 AND 5),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    published_at TEXT,
    published_by TEXT
);

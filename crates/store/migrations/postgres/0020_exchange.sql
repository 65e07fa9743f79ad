-- Exchange placements (wisselstage, issue 8): member staff spend time at a provider and provider
-- staff at a member. A round collects places and participants, gets a stable matching that the
-- coordinator may adjust and confirms, and ends with what participants learned.

CREATE TABLE exchange_rounds (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    description TEXT,
    -- aanmelden: places and participants come in; voorstel: a matching awaits confirmation;
    -- bevestigd: the coordinator confirmed it.
    status TEXT NOT NULL CHECK (status IN ('aanmelden', 'voorstel', 'bevestigd')),
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ
);
CREATE INDEX exchange_rounds_region ON exchange_rounds (region_id);

CREATE TABLE exchange_places (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES exchange_rounds(id),
    -- The host: a member municipality or a provider, never both.
    host_municipality TEXT,
    host_provider_id BIGINT REFERENCES providers(id),
    theme TEXT NOT NULL,
    description TEXT,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('online', 'op-locatie')),
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    withdrawn_reason TEXT,
    CHECK ((host_municipality IS NULL) <> (host_provider_id IS NULL))
);
CREATE INDEX exchange_places_round ON exchange_places (round_id);

CREATE TABLE exchange_participants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES exchange_rounds(id),
    name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    -- The participant's own organisation: a member municipality or a provider.
    municipality_code TEXT,
    provider_id BIGINT REFERENCES providers(id),
    -- Place ids, best first (JSON list).
    preferences TEXT NOT NULL,
    -- Made up for a demonstration, not a person.
    generated BOOLEAN NOT NULL DEFAULT FALSE,
    registered_by TEXT NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    -- The current matching: proposed, adjusted or confirmed according to the round's status.
    place_id BIGINT REFERENCES exchange_places(id),
    CHECK ((municipality_code IS NULL) <> (provider_id IS NULL))
);
CREATE INDEX exchange_participants_round ON exchange_participants (round_id);

CREATE TABLE exchange_lessons (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES exchange_rounds(id),
    participant_id BIGINT NOT NULL UNIQUE REFERENCES exchange_participants(id),
    learned TEXT NOT NULL,
    surprised TEXT,
    takeaway TEXT NOT NULL,
    tip_for_region TEXT,
    -- Would you recommend it to a colleague, 1 (no) to 5 (certainly).
    recommend INTEGER NOT NULL CHECK (recommend BETWEEN 1 AND 5),
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    published_by TEXT
);

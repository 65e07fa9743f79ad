-- Collaboration health (issue 7): questionnaire instruments the region defines (versions that
-- never change once a round has used them), rounds that carry a copy of the instrument they
-- ask, personal single-use invitations stored only as a hash, and responses stored without
-- any link to the invitation, the person or the moment (a random key, no timestamp).

CREATE TABLE instruments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    -- The versions of one instrument share a family key.
    family TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (region_id, family, version)
);

CREATE TABLE survey_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nulmeting', 'periodiek')),
    -- Which instrument this is ('samenspel:vertrouwen' or 'regio:FAMILY': rounds of one family
    -- are compared), the region's version used if it is one, its name and version as shown, and
    -- the copy of it that this round asks.
    instrument_source TEXT NOT NULL,
    instrument_id INTEGER REFERENCES instruments(id),
    instrument_label TEXT NOT NULL,
    instrument TEXT NOT NULL,
    -- The parties rated, as a JSON list (for an instrument answered per party).
    parties TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('concept', 'open', 'gesloten')),
    closes_at TEXT NOT NULL,
    opened_at TEXT,
    closed_at TEXT,
    -- Answers generated for a demonstration, not given by people.
    generated INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX survey_rounds_region ON survey_rounds (region_id);

CREATE TABLE survey_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES survey_rounds(id),
    token_hash TEXT NOT NULL UNIQUE,
    respondent_group TEXT NOT NULL CHECK (respondent_group IN ('gemeenten', 'regio', 'aanbieders')),
    large_member INTEGER,
    expires_at TEXT NOT NULL,
    -- Answers saved before submitting (JSON), cleared when submitted.
    draft TEXT,
    submitted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX survey_invitations_round ON survey_invitations (round_id);

CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES survey_rounds(id),
    respondent_group TEXT NOT NULL CHECK (respondent_group IN ('gemeenten', 'regio', 'aanbieders')),
    large_member INTEGER,
    answers TEXT NOT NULL
);
CREATE INDEX survey_responses_round ON survey_responses (round_id);

-- The region's own conclusions in the leave-or-remain dossier, per evaluation year.
CREATE TABLE evaluation_conclusions (
    region_id INTEGER NOT NULL REFERENCES regions(id),
    year INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (region_id, year)
);

-- The dialogue with providers (issue 8): the region's announcements to all providers (news, and
-- procurement rounds with their conditions and closing date), and questions from providers with
-- the region's answers, published to all providers under a number without the asker's name.

CREATE TABLE announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    kind TEXT NOT NULL CHECK (kind IN ('mededeling', 'aanbesteding')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- For a procurement round: the lot it buys and the last day to respond.
    lot_id INTEGER REFERENCES lots(id),
    closes_on TEXT,
    published_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX announcements_region ON announcements (region_id);

CREATE TABLE provider_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    provider_id INTEGER NOT NULL REFERENCES providers(id),
    -- What the question is about: a procurement round, or NULL for the region in general.
    announcement_id INTEGER REFERENCES announcements(id),
    subject TEXT NOT NULL,
    question TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'beantwoord')),
    -- The question as published: the region may take out what identifies the asker.
    published_question TEXT,
    answer TEXT,
    answered_by TEXT,
    answered_at TEXT,
    -- Published answers are numbered per region, as in a nota van inlichtingen.
    number INTEGER,
    UNIQUE (region_id, number)
);
CREATE INDEX provider_questions_region ON provider_questions (region_id, status);

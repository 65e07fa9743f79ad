-- The partner charter (handvest) of a region in versions: each the whole document as JSON,
-- valid from a day on. The charter in force on a day is the version with the latest start on
-- or before it (the newest of those).
CREATE TABLE charters (
    region_id INTEGER NOT NULL REFERENCES regions(id),
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    document TEXT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (region_id, version)
);

-- Self-assessments against the Norm voor Opdrachtgeverschap: per region and day the answers to
-- the checklist (yes / partly / no with evidence) as JSON.
CREATE TABLE norm_assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    assessed_on TEXT NOT NULL,
    answers TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX norm_assessments_region ON norm_assessments (region_id, assessed_on);

-- Self-assessments against the Norm voor Opdrachtgeverschap: per region and day the answers to
-- the checklist (yes / partly / no with evidence) as JSON.
CREATE TABLE norm_assessments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    assessed_on DATE NOT NULL,
    answers TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX norm_assessments_region ON norm_assessments (region_id, assessed_on);

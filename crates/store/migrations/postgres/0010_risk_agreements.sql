-- Risk-sharing agreements (risicoverevening): a named agreement of a region, adopted
-- (vastgesteld, at most one per region), proposed (voorstel) or lapsed (vervallen), with its
-- versions. A version holds the whole model as JSON and applies from a year on; the version in
-- force in a year is the latest one whose first year is at or before it.
CREATE TABLE risk_agreements (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('vastgesteld', 'voorstel', 'vervallen')),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX risk_agreements_name ON risk_agreements (region_id, name);
CREATE UNIQUE INDEX risk_agreements_adopted ON risk_agreements (region_id) WHERE status = 'vastgesteld';

CREATE TABLE risk_agreement_versions (
    agreement_id BIGINT NOT NULL REFERENCES risk_agreements(id),
    version INTEGER NOT NULL,
    first_year INTEGER NOT NULL,
    model TEXT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agreement_id, version)
);

-- Governance: who may vote for a member, proposals with their lifecycle, the members' input
-- (zienswijzen) with the region's answers, votes and decisions. Every change is also in the
-- audit log. See crates/domain/src/proposal.rs for the lifecycle.

-- A member's authorised representatives (the alderman or a delegate), for a period. Only they
-- cast the member's vote.
CREATE TABLE representatives (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    user_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL CHECK (title IN ('wethouder', 'gemachtigde')),
    valid_from DATE NOT NULL,
    valid_until DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX representatives_member ON representatives (region_id, municipality_code);
CREATE INDEX representatives_user ON representatives (user_id);

CREATE TABLE proposals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('concept', 'consultatie', 'reactie', 'stemming', 'aangenomen', 'verworpen', 'ingetrokken')),
    -- For a charter change: the proposed charter (JSON) and the day it takes effect.
    charter_document TEXT,
    charter_valid_from DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    consultation_opened_at TIMESTAMPTZ,
    consultation_deadline TIMESTAMPTZ,
    -- The members asked for input (JSON list), fixed when the consultation opened.
    consulted_members TEXT,
    vote_opened_at TIMESTAMPTZ,
    vote_deadline TIMESTAMPTZ,
    -- Fixed when voting opened: the charter version in force that day, its rule for the kind
    -- (JSON), the chair, and every member entitled to vote with its weight (JSON).
    charter_version INTEGER,
    rule TEXT,
    chair TEXT,
    voters TEXT,
    decided_at TIMESTAMPTZ,
    decision_number TEXT,
    -- The count with its explanation (JSON).
    outcome TEXT,
    withdrawn_reason TEXT,
    UNIQUE (region_id, decision_number)
);
CREATE INDEX proposals_region ON proposals (region_id, phase);

CREATE TABLE proposal_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX proposal_attachments_proposal ON proposal_attachments (proposal_id);

CREATE TABLE consultation_inputs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    body TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    handling TEXT CHECK (handling IN ('overgenomen', 'deels', 'niet')),
    response TEXT,
    responded_by TEXT,
    responded_at TIMESTAMPTZ
);
CREATE INDEX consultation_inputs_proposal ON consultation_inputs (proposal_id, municipality_code);

-- One vote per member per proposal; changing it before the deadline replaces it (the audit log
-- keeps every change).
CREATE TABLE votes (
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    choice TEXT NOT NULL CHECK (choice IN ('voor', 'tegen', 'onthouding')),
    cast_by TEXT NOT NULL,
    cast_at TIMESTAMPTZ NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (proposal_id, municipality_code)
);

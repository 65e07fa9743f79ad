-- Procurement, SQLite dialect (twin: ../postgres/0002_procurement.sql): the national product
-- code lists, each region's catalogue, lots with their members' forms of collaboration and
-- steering choices over time, contracts with tariffs, and open admission.

-- National lists, loaded from data/istandaarden at start-up.
CREATE TABLE product_categories (
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (law, code)
);

CREATE TABLE national_products (
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT,
    list_name TEXT NOT NULL,
    PRIMARY KEY (law, code)
);

-- A region's catalogue: national codes it uses (with its own name where it corrects one) and
-- codes of its own. A product without a code is aspecific: the category alone.
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    law TEXT NOT NULL CHECK (law IN ('jeugd', 'wmo')),
    category TEXT NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    funding_variant TEXT NOT NULL,
    national BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX products_code ON products (region_id, law, category, COALESCE(code, ''));

CREATE TABLE lots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    name TEXT NOT NULL,
    description TEXT,
    route TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    -- Open admission: the conditions are published and providers may apply.
    admission_open BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE UNIQUE INDEX lots_name ON lots (region_id, name);

CREATE TABLE lot_products (
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    PRIMARY KEY (lot_id, product_id)
);

-- Each member's form of collaboration per lot, from a date on; the row with the latest
-- valid_from on or before a day is the form on that day.
CREATE TABLE lot_participation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    form TEXT NOT NULL CHECK (form IN ('bus', 'konvooi', 'meelift', 'lokaal')),
    valid_from TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX lot_participation_from ON lot_participation (lot_id, municipality_code, valid_from);

-- The steering choices of a lot, versioned: every change is a new row with its reason.
CREATE TABLE lot_steering (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    valid_from TEXT NOT NULL,
    reason TEXT NOT NULL,
    referrers TEXT NOT NULL,
    funding_variant TEXT NOT NULL,
    budget_ceiling_cents INTEGER,
    cadence TEXT NOT NULL,
    indicator_volume TEXT,
    indicator_money TEXT,
    indicator_quality TEXT,
    pilot BOOLEAN NOT NULL,
    evaluation_on TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX lot_steering_lot ON lot_steering (lot_id, valid_from);

CREATE TABLE admission_conditions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL
);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    provider_id INTEGER NOT NULL REFERENCES providers(id),
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('concept', 'actief', 'opgeschort', 'beeindigd')),
    reference TEXT,
    created_at TEXT NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX contracts_region ON contracts (region_id, provider_id, lot_id);

-- A tariff per contract, product and year; with a municipality it is that member's own
-- tariff (a member in convoy). The cost build-up is all six parts or none.
CREATE TABLE tariffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    year INTEGER NOT NULL,
    municipality_code TEXT REFERENCES municipalities(code),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    unit TEXT NOT NULL,
    cost_staff_cents INTEGER,
    cost_overhead_cents INTEGER,
    cost_non_productive_cents INTEGER,
    cost_travel_training_cents INTEGER,
    cost_indexation_cents INTEGER,
    cost_other_cents INTEGER,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX tariffs_unique ON tariffs (contract_id, product_id, year, COALESCE(municipality_code, ''));

-- Open admission: a provider applies for a lot, the region checks each condition and decides.
CREATE TABLE admission_applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    provider_id INTEGER NOT NULL REFERENCES providers(id),
    status TEXT NOT NULL CHECK (status IN ('ingediend', 'toegelaten', 'geweigerd', 'beeindigd')),
    motivation TEXT,
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    decision_reason TEXT,
    contract_id INTEGER REFERENCES contracts(id),
    ended_at TEXT,
    end_reason TEXT
);
CREATE INDEX admission_applications_lot ON admission_applications (lot_id, provider_id);

CREATE TABLE admission_checks (
    application_id INTEGER NOT NULL REFERENCES admission_applications(id),
    condition_id INTEGER NOT NULL REFERENCES admission_conditions(id),
    met BOOLEAN NOT NULL,
    note TEXT,
    PRIMARY KEY (application_id, condition_id)
);

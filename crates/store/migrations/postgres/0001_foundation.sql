-- Foundation schema, PostgreSQL dialect. The SQLite twin lives in ../sqlite with the same
-- tables and columns; only the types differ (TIMESTAMPTZ here, TEXT there).

-- Reference data from CBS. A municipality that a newer CBS year no longer lists (merged) is
-- kept with current = FALSE, because regions' history still refers to it.
CREATE TABLE reference_loads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    municipality_year INTEGER NOT NULL,
    classification_year INTEGER NOT NULL,
    source TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE municipalities (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    province_code TEXT NOT NULL,
    province_name TEXT NOT NULL,
    inhabitants BIGINT NOT NULL CHECK (inhabitants >= 0),
    reference_year INTEGER NOT NULL,
    current BOOLEAN NOT NULL
);

-- Inhabitants per reference year, so that allocation keys can use the figure of any year.
CREATE TABLE municipality_population (
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    year INTEGER NOT NULL,
    inhabitants BIGINT NOT NULL CHECK (inhabitants >= 0),
    PRIMARY KEY (municipality_code, year)
);

CREATE TABLE youth_regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    classification_year INTEGER NOT NULL,
    current BOOLEAN NOT NULL
);

CREATE TABLE youth_region_members (
    youth_region_code TEXT NOT NULL REFERENCES youth_regions(code),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    PRIMARY KEY (youth_region_code, municipality_code)
);

-- A collaboration of municipalities as it runs on Samenspel.
CREATE TABLE regions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    domain TEXT NOT NULL CHECK (domain IN ('jeugd', 'wmo', 'jeugd-en-wmo')),
    centre_municipality TEXT REFERENCES municipalities(code),
    youth_region_code TEXT REFERENCES youth_regions(code),
    created_at TIMESTAMPTZ NOT NULL
);

-- Members join and leave; a member takes part from joined_on up to the day before left_on.
CREATE TABLE memberships (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    joined_on DATE NOT NULL,
    left_on DATE,
    CHECK (left_on IS NULL OR left_on > joined_on)
);
CREATE INDEX memberships_region ON memberships (region_id, municipality_code);

-- Figures the reference data lacks; NULL means not entered, never estimated.
CREATE TABLE member_figures (
    region_id BIGINT NOT NULL REFERENCES regions(id),
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    year INTEGER NOT NULL,
    youths BIGINT CHECK (youths >= 0),
    budget_youth_cents BIGINT CHECK (budget_youth_cents >= 0),
    budget_wmo_cents BIGINT CHECK (budget_wmo_cents >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region_id, municipality_code, year)
);

-- Providers belong to one region: a region's register is its own, and a provider working in
-- two regions is registered in each.
CREATE TABLE providers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    name TEXT NOT NULL,
    agb_code TEXT,
    kvk_number TEXT,
    city TEXT,
    email TEXT,
    phone TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX providers_agb ON providers (region_id, agb_code);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    platform_admin BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ
);

CREATE TABLE role_grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    region_id BIGINT NOT NULL REFERENCES regions(id),
    role TEXT NOT NULL CHECK (role IN ('regiobeheerder', 'gemeente', 'aanbieder', 'coach', 'waarnemer')),
    municipality_code TEXT REFERENCES municipalities(code),
    provider_id BIGINT REFERENCES providers(id),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'gemeente') = (municipality_code IS NOT NULL)),
    CHECK ((role = 'aanbieder') = (provider_id IS NOT NULL))
);
CREATE UNIQUE INDEX role_grants_unique
    ON role_grants (user_id, region_id, role, COALESCE(municipality_code, ''), COALESCE(provider_id, 0));

-- Sessions live here, not in memory, so several server processes can share the database.
-- Only a hash of the cookie value is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- Login attempts, for rate limiting across all server processes.
CREATE TABLE login_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts (login, attempted_at);
CREATE INDEX login_attempts_ip ON login_attempts (client_ip, attempted_at);

-- Append-only record of every change (BIO 8.15.01: action, object, result, origin, actor,
-- timestamp), with the object before and after as JSON.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT,
    actor_login TEXT NOT NULL,
    origin TEXT NOT NULL,
    region_id BIGINT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    result TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_region ON audit_log (region_id, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The tenant registry's people: households (nucleo) in units with their rental contract,
-- persons identified by fiscal code, who belongs to which household, housing applications
-- with a dated status history, and a record of every registry import.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE households (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    -- The rental contract (codice contratto) identifies the household.
    contract_code TEXT NOT NULL UNIQUE,
    contract_start DATE NOT NULL,
    -- active | ended
    contract_status TEXT NOT NULL CHECK (contract_status IN ('active', 'ended')),
    ended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX households_unit_id ON households (unit_id);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- Canonical form (omocodia decoded), upper case, 16 characters.
    fiscal_code TEXT NOT NULL UNIQUE,
    surname TEXT NOT NULL,
    given_name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    phone TEXT,
    email TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A person's place in a household. The current one has ended_at NULL; a person who moves or
-- disappears from the manager's export keeps the history, ended.
CREATE TABLE household_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE RESTRICT,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE RESTRICT,
    -- holder (intestatario) | member (componente)
    role TEXT NOT NULL CHECK (role IN ('holder', 'member')),
    started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX household_members_household ON household_members (household_id);
CREATE INDEX household_members_person ON household_members (person_id);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- Protocol number of the housing request.
    protocol TEXT NOT NULL UNIQUE,
    applicant_fiscal_code TEXT NOT NULL,
    submitted_on DATE NOT NULL,
    -- submitted | under_review | ranked | unit_offered | assigned | rejected | withdrawn
    status TEXT NOT NULL CHECK (status IN ('submitted', 'under_review', 'ranked', 'unit_offered',
                                           'assigned', 'rejected', 'withdrawn')),
    ranking_position INTEGER,
    offered_unit_id INTEGER REFERENCES units (id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX applications_applicant ON applications (applicant_fiscal_code);

CREATE TABLE application_status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE RESTRICT,
    status TEXT NOT NULL,
    ranking_position INTEGER,
    note TEXT,
    changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX application_status_history_application ON application_status_history (application_id);

-- Every import of the manager's export, with its counts and rejected rows (JSON).
CREATE TABLE registry_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    source_name TEXT NOT NULL,
    -- all_or_nothing | partial
    mode TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    -- applied | rejected | dry_run
    outcome TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    created_count INTEGER NOT NULL,
    updated_count INTEGER NOT NULL,
    unchanged_count INTEGER NOT NULL,
    ended_count INTEGER NOT NULL,
    rejected_count INTEGER NOT NULL,
    report TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

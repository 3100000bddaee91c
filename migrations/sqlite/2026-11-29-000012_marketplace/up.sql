-- The marketplace on top of the time bank's ledger (issue 5): organisations verified by staff,
-- listings (offers and requests), exchanges with their state history and messages, and
-- reviews after a confirmed exchange.
-- Kept in step with the other backend's tree; a test compares the two.

-- Social enterprises and shops that offer services; staff verify them.
CREATE TABLE market_organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('social_enterprise', 'shop')),
    description TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    -- Set by staff; an organisation publishes listings only once verified.
    verified_by INTEGER REFERENCES users (id),
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE market_organisation_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES market_organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, user_id)
);
CREATE INDEX market_organisation_members_user ON market_organisation_members (user_id);

-- One catalogue of offers ("I can…") and requests ("I need…").
CREATE TABLE market_listings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('offer', 'request')),
    category TEXT NOT NULL CHECK (category IN ('companionship', 'errands', 'small_repairs',
        'tutoring', 'digital_help', 'translation', 'childcare', 'gardening', 'cooking', 'other')),
    title TEXT NOT NULL,
    -- Markdown as written, and the sanitised HTML rendered from it when written.
    description_md TEXT NOT NULL,
    description_html TEXT NOT NULL,
    price_type TEXT NOT NULL CHECK (price_type IN ('hours', 'euro', 'free')),
    -- Minutes (hours), euro cents (euro), NULL (free).
    price_amount INTEGER,
    estimated_minutes INTEGER,
    availability TEXT NOT NULL,
    -- estate: the estate's centre; point: a point of the author's choosing.
    place_kind TEXT NOT NULL CHECK (place_kind IN ('estate', 'point')),
    -- The estate of the place (or of the author's home for a point); NULL: none.
    estate_id INTEGER REFERENCES estates (id),
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    reach TEXT NOT NULL CHECK (reach IN ('building', 'estate', 'city')),
    -- The author's home when written: who a building-wide listing reaches.
    home_building_id INTEGER REFERENCES buildings (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    organisation_id INTEGER REFERENCES market_organisations (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    -- Exchanges proposed on this listing (the offers a request collected).
    exchanges_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX market_listings_open ON market_listings (status, id);
CREATE INDEX market_listings_author ON market_listings (author_id, id);

-- An exchange between a provider (who helps) and a receiver (who is helped).
CREATE TABLE market_exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    listing_id INTEGER NOT NULL REFERENCES market_listings (id),
    provider_id INTEGER NOT NULL REFERENCES users (id),
    receiver_id INTEGER NOT NULL REFERENCES users (id),
    -- The party who proposed it; the other one accepts.
    proposed_by INTEGER NOT NULL REFERENCES users (id),
    -- The listing's estate, for the monthly report.
    estate_id INTEGER REFERENCES estates (id),
    -- Minutes the receiver pays the provider at confirmation (0: not paid in hours).
    minutes INTEGER NOT NULL CHECK (minutes >= 0),
    state TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'completed', 'confirmed',
        'cancelled', 'disputed')),
    proposed_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    completed_at TIMESTAMP,
    confirmed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancelled_by INTEGER REFERENCES users (id),
    disputed_at TIMESTAMP,
    disputed_by INTEGER REFERENCES users (id),
    dispute_reason TEXT,
    -- Staff's decision on a dispute.
    resolved_at TIMESTAMP,
    resolved_by INTEGER REFERENCES users (id),
    resolution_note TEXT,
    -- The ledger's transfer written by the confirmation (at most one per exchange).
    transfer_id INTEGER UNIQUE REFERENCES timebank_transfers (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX market_exchanges_listing ON market_exchanges (listing_id, id);
CREATE INDEX market_exchanges_provider ON market_exchanges (provider_id, id);
CREATE INDEX market_exchanges_receiver ON market_exchanges (receiver_id, id);
CREATE INDEX market_exchanges_state ON market_exchanges (state, id);
CREATE INDEX market_exchanges_confirmed ON market_exchanges (confirmed_at);
-- One live exchange per listing and pair of people.
CREATE UNIQUE INDEX market_exchanges_live ON market_exchanges (listing_id, provider_id, receiver_id)
    WHERE state IN ('proposed', 'accepted', 'completed', 'disputed');

CREATE TABLE market_exchange_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    exchange_id INTEGER NOT NULL REFERENCES market_exchanges (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX market_exchange_messages_exchange ON market_exchange_messages (exchange_id, id);

-- After a confirmed exchange each side may review the other, once.
CREATE TABLE market_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    exchange_id INTEGER NOT NULL REFERENCES market_exchanges (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    subject_id INTEGER NOT NULL REFERENCES users (id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (exchange_id, author_id)
);
CREATE INDEX market_reviews_subject ON market_reviews (subject_id, id);

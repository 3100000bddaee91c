DROP TABLE market_reviews;
DROP TABLE market_exchange_messages;
DROP TABLE market_exchanges;
DROP TABLE market_listings;
DROP TABLE market_organisation_members;
DROP TABLE market_organisations;

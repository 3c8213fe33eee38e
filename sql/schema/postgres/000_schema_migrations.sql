-- The migration ledger: one row per applied version of sql/schema/postgres.
-- Runs on every migrate (version 0 is never recorded).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
);

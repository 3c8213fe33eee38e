-- The migration ledger: one row per applied version of sql/schema/sqlite.
-- Runs on every migrate (version 0 is never recorded).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL               -- 'YYYY-MM-DD HH:MM:SS.SSS' UTC
);

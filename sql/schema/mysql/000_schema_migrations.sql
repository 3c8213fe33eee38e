-- The migration ledger: one row per applied version of sql/schema/mysql.
-- Runs on every migrate (version 0 is never recorded).  MySQL commits DDL
-- implicitly, so every statement here is idempotent (IF NOT EXISTS) and
-- migrations are serialised with GET_LOCK instead of a transaction.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    applied_at DATETIME NOT NULL
) DEFAULT CHARSET=utf8mb4;

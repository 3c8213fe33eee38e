-- Exactly-once bookkeeping of the CDR writers (one row per cluster and
-- writer: the highest outbox seq committed) and the message event log
-- exported with the CDRs.
CREATE TABLE IF NOT EXISTS cdr_writer_state (
    cluster_id TEXT NOT NULL,
    writer TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (cluster_id, writer)
);
CREATE TABLE IF NOT EXISTS message_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    event_epoch INTEGER NOT NULL,          -- ms since the epoch, UTC
    name TEXT NOT NULL,
    description TEXT,
    event_source TEXT,
    inserted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_message_events_message_id
    ON message_events(message_id);

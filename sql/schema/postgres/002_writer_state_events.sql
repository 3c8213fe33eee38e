-- Exactly-once bookkeeping of the CDR writers (one row per cluster and
-- writer: the highest outbox seq committed) and the message event log
-- exported with the CDRs.
CREATE TABLE IF NOT EXISTS cdr_writer_state (
    cluster_id VARCHAR(255) NOT NULL,
    writer VARCHAR(255) NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cluster_id, writer)
);
CREATE TABLE IF NOT EXISTS message_events (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL,
    event_epoch BIGINT NOT NULL,           -- ms since the epoch, UTC
    name VARCHAR(255) NOT NULL,
    description TEXT,
    event_source VARCHAR(255),
    inserted_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_message_events_message_id
    ON message_events(message_id);

-- Exactly-once bookkeeping of the CDR writers (one row per cluster and
-- writer: the highest outbox seq committed) and the message event log
-- exported with the CDRs.
CREATE TABLE IF NOT EXISTS cdr_writer_state (
    cluster_id VARCHAR(255) NOT NULL,
    writer VARCHAR(255) NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (cluster_id, writer)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS message_events (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    message_id BIGINT NOT NULL,
    event_epoch BIGINT NOT NULL,           -- ms since the epoch, UTC
    name VARCHAR(255) NOT NULL,
    description TEXT,
    event_source VARCHAR(255),
    inserted_at DATETIME NOT NULL,
    INDEX idx_message_events_message_id (message_id)
) DEFAULT CHARSET=utf8mb4;

-- The cdrs table of the reference (SPEC §10, PostgreSQL variant), column
-- for column and index for index.  TIMESTAMP columns hold UTC.
CREATE TABLE IF NOT EXISTS cdrs (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL,
    calling_number VARCHAR(255) NOT NULL,
    called_number VARCHAR(255) NOT NULL,
    source_smsc VARCHAR(255),
    dest_smsc VARCHAR(255),
    origin_node VARCHAR(255),
    destination_node VARCHAR(255),
    submission_time TIMESTAMP NOT NULL,
    delivery_time TIMESTAMP,
    expiry_time TIMESTAMP,
    status VARCHAR(50) NOT NULL,
    delivery_attempts INTEGER DEFAULT 0,
    message_parts INTEGER,
    deadletter BOOLEAN DEFAULT FALSE,
    message_body TEXT,
    inserted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_cdrs_message_id ON cdrs(message_id);
CREATE INDEX IF NOT EXISTS idx_cdrs_calling_number ON cdrs(calling_number);
CREATE INDEX IF NOT EXISTS idx_cdrs_called_number ON cdrs(called_number);
CREATE INDEX IF NOT EXISTS idx_cdrs_status ON cdrs(status);
CREATE INDEX IF NOT EXISTS idx_cdrs_submission_time ON cdrs(submission_time);
CREATE INDEX IF NOT EXISTS idx_cdrs_dest_smsc ON cdrs(dest_smsc);

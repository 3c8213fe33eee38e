-- The cdrs table of the reference (SPEC §10, MySQL / MariaDB variant),
-- column for column and index for index.  DATETIME columns hold UTC; the
-- table is utf8mb4 whatever the server default (message bodies carry emoji).
CREATE TABLE IF NOT EXISTS cdrs (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    message_id BIGINT NOT NULL,
    calling_number VARCHAR(255) NOT NULL,
    called_number VARCHAR(255) NOT NULL,
    source_smsc VARCHAR(255),
    dest_smsc VARCHAR(255),
    origin_node VARCHAR(255),
    destination_node VARCHAR(255),
    submission_time DATETIME NOT NULL,
    delivery_time DATETIME,
    expiry_time DATETIME,
    status VARCHAR(50) NOT NULL,
    delivery_attempts INT DEFAULT 0,
    message_parts INT,
    deadletter BOOLEAN DEFAULT FALSE,
    message_body TEXT,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    INDEX idx_cdrs_message_id (message_id),
    INDEX idx_cdrs_calling_number (calling_number),
    INDEX idx_cdrs_called_number (called_number),
    INDEX idx_cdrs_status (status),
    INDEX idx_cdrs_submission_time (submission_time),
    INDEX idx_cdrs_dest_smsc (dest_smsc)
) DEFAULT CHARSET=utf8mb4;

-- The cdrs table of the reference (SPEC §10), column for column and index
-- for index, in SQLite's types: BIGINT/INT/BOOLEAN -> INTEGER,
-- VARCHAR/TEXT -> TEXT, DATETIME -> TEXT 'YYYY-MM-DD HH:MM:SS.SSS' (UTC,
-- sorts and compares as time, understood by SQLite's date functions).
CREATE TABLE IF NOT EXISTS cdrs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- BIGINT AUTO_INCREMENT
    message_id INTEGER NOT NULL,
    calling_number TEXT NOT NULL,          -- VARCHAR(255)
    called_number TEXT NOT NULL,           -- VARCHAR(255)
    source_smsc TEXT,                      -- VARCHAR(255)
    dest_smsc TEXT,                        -- VARCHAR(255)
    origin_node TEXT,                      -- VARCHAR(255)
    destination_node TEXT,                 -- VARCHAR(255)
    submission_time TEXT NOT NULL,         -- DATETIME
    delivery_time TEXT,                    -- DATETIME
    expiry_time TEXT,                      -- DATETIME
    status TEXT NOT NULL,                  -- VARCHAR(50)
    delivery_attempts INTEGER DEFAULT 0,
    message_parts INTEGER,
    deadletter INTEGER DEFAULT 0,          -- BOOLEAN DEFAULT FALSE
    message_body TEXT,
    inserted_at TEXT NOT NULL,             -- DATETIME
    updated_at TEXT NOT NULL               -- DATETIME
);
CREATE INDEX IF NOT EXISTS idx_cdrs_message_id ON cdrs(message_id);
CREATE INDEX IF NOT EXISTS idx_cdrs_calling_number ON cdrs(calling_number);
CREATE INDEX IF NOT EXISTS idx_cdrs_called_number ON cdrs(called_number);
CREATE INDEX IF NOT EXISTS idx_cdrs_status ON cdrs(status);
CREATE INDEX IF NOT EXISTS idx_cdrs_submission_time ON cdrs(submission_time);
CREATE INDEX IF NOT EXISTS idx_cdrs_dest_smsc ON cdrs(dest_smsc);

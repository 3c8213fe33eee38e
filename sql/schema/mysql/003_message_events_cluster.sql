-- message_events rows carry the cluster that wrote them (the batch's
-- cluster_id), so one database can hold several clusters' events and a
-- message's events are read back per cluster.  Rows written before this
-- migration keep NULL.  DDL commits implicitly: one idempotent statement
-- (MariaDB's IF NOT EXISTS), so a rerun after a crash before the version
-- was recorded is harmless.
ALTER TABLE message_events
    ADD COLUMN IF NOT EXISTS cluster_id VARCHAR(255) NULL,
    ADD INDEX IF NOT EXISTS idx_message_events_cluster_message
        (cluster_id, message_id);

-- message_events rows carry the cluster that wrote them (the batch's
-- cluster_id), so one database can hold several clusters' events and a
-- message's events are read back per cluster.  Rows written before this
-- migration keep NULL.
ALTER TABLE message_events ADD COLUMN IF NOT EXISTS cluster_id VARCHAR(255);
CREATE INDEX IF NOT EXISTS idx_message_events_cluster_message
    ON message_events(cluster_id, message_id);

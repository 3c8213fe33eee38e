-- message_events rows carry the cluster that wrote them (the batch's
-- cluster_id), so one database can hold several clusters' events and a
-- message's events are read back per cluster.  Rows written before this
-- migration keep NULL.  Runs under BEGIN IMMEDIATE with the version check.
ALTER TABLE message_events ADD COLUMN cluster_id TEXT;
CREATE INDEX IF NOT EXISTS idx_message_events_cluster_message
    ON message_events(cluster_id, message_id);

-- Leases on scheduled work shared by several replicas: who holds a job (a publish, a periodic
-- check) and until when. A replica that dies stops renewing, the lease expires, and another
-- replica takes the job over. One process on SQLite never writes here.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- A replica about to handle a seller's update first handles that seller's older ones still
-- unclaimed in the inbox: found by seller, in update order.
CREATE INDEX processed_updates_unclaimed_by_user ON processed_updates (user_id, update_id)
    WHERE claimed_at IS NULL;

-- Visits as a list of their own: coverage per grid ("visits in the last 30 days") and each
-- worker's trail of work are read from here.
CREATE TABLE visit (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    grid_id      TEXT NOT NULL,
    worker       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    purpose      TEXT NOT NULL,
    notes        TEXT NOT NULL,
    photos       INTEGER NOT NULL
);
CREATE INDEX visit_by_household ON visit (household_id);
CREATE INDEX visit_by_worker ON visit (worker, at);
CREATE INDEX visit_by_grid ON visit (grid_id, at);

-- A report's counted events as a list of their own (who did what when, in the report's grid),
-- so the workers page counts the reports a worker handled in a period without loading a
-- document. Only events the report's fold counted are kept.
CREATE TABLE report_event (
    report_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,   -- its place in the fold's order
    grid_id   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (report_id, seq)
) WITHOUT ROWID;
CREATE INDEX report_event_by_grid ON report_event (grid_id, at);

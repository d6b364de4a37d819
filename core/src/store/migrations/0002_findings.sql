-- The "needs checking" list: findings that follow from one record, plus what the time-based
-- findings need (who lives alone, born when), kept with the household.

CREATE TABLE finding (
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    grid_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    PRIMARY KEY (household_id, kind, subject)
) WITHOUT ROWID;
CREATE INDEX finding_by_grid ON finding (grid_id, kind);

-- Elderly living alone: the resident tagged so, or the only active resident and their birth
-- date (YYYYMMDD) so the age test can run at query time.
ALTER TABLE household ADD COLUMN alone_resident_id TEXT;
ALTER TABLE household ADD COLUMN alone_birth_date INTEGER;
ALTER TABLE household ADD COLUMN alone_tagged INTEGER NOT NULL DEFAULT 0;

-- Duplicate ID numbers are found through this index.
CREATE INDEX resident_by_id_number ON resident (id_number) WHERE moved_out = 0 AND id_valid = 1;

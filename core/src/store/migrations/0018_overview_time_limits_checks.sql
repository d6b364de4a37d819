-- ID numbers registered in two or more households (a duplicate-ID-number finding each), with
-- how many, kept up to date by each household's projection. The "needs checking" list and
-- the overview then read the few duplicates instead of looking up every resident of a grid
-- (60 ms a grid of 18,000 residents). Filled here from the residents as they stand.
CREATE TABLE duplicate_id_number (
    id_number  TEXT PRIMARY KEY,
    households INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO duplicate_id_number (id_number, households)
SELECT id_number, COUNT(DISTINCT household_id) FROM resident
WHERE moved_out = 0 AND id_valid = 1
GROUP BY id_number
HAVING COUNT(DISTINCT household_id) > 1;

-- The overview's per-building coverage and its "not visited recently" count read every
-- household of a grid: this index holds all they read, so neither touches the table.
CREATE INDEX household_coverage
    ON household (grid_id, compound_id, building_id, id, last_visit_at, resident_count);
-- Elderly people living alone are a few in a grid: found without reading the others.
CREATE INDEX household_alone ON household (grid_id) WHERE alone_resident_id IS NOT NULL;

-- Report categories carry the 权责清单's handling department and time limit (处置时限, in
-- hours): a report's deadline is its time plus its category's limit.
ALTER TABLE reference_item ADD COLUMN department TEXT;
ALTER TABLE reference_item ADD COLUMN limit_hours INTEGER;

-- The findings people marked checked (rules::finding_marks) whose value is unchanged: the
-- duplicate-ID-number findings, found across households in SQL, leave them out.
CREATE TABLE finding_check (
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    PRIMARY KEY (household_id, kind, subject)
) WITHOUT ROWID;

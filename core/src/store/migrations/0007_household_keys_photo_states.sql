-- Resident and visit ids are made by the device that adds them and are unique only within
-- their household: a ledger imported twice, or a resident copied between households, can repeat
-- one. So both lists are keyed by (household_id, id); as global keys a repeated id made the
-- server's projection fail (the whole sync answered 500) or, for visits, silently replaced
-- another household's row. SQLite cannot change a primary key: the tables are made anew.

CREATE TABLE resident_new (
    id             TEXT NOT NULL,
    household_id   TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    initials       TEXT NOT NULL,
    id_number      TEXT,
    id_valid       INTEGER NOT NULL, -- 1 when the ID number passes GB 11643
    id_reversed    TEXT,
    phone          TEXT,
    phone_reversed TEXT,
    moved_out      INTEGER NOT NULL,
    tags           TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
);
INSERT INTO resident_new (id, household_id, name, initials, id_number, id_valid, id_reversed,
        phone, phone_reversed, moved_out, tags)
    SELECT id, household_id, name, initials, id_number, id_valid, id_reversed,
        phone, phone_reversed, moved_out, tags FROM resident;
DROP TABLE resident;
ALTER TABLE resident_new RENAME TO resident;
-- By household: the primary key. By id alone: lookups that start from a resident id.
CREATE INDEX resident_by_id ON resident (id);
CREATE INDEX resident_by_initials ON resident (initials);
CREATE INDEX resident_by_id_reversed ON resident (id_reversed);
CREATE INDEX resident_by_phone_reversed ON resident (phone_reversed);
CREATE INDEX resident_by_id_number ON resident (id_number) WHERE moved_out = 0 AND id_valid = 1;

CREATE TABLE visit_new (
    id           TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    grid_id      TEXT NOT NULL,
    worker       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    purpose      TEXT NOT NULL,
    notes        TEXT NOT NULL,
    photos       INTEGER NOT NULL,
    PRIMARY KEY (household_id, id)
);
INSERT INTO visit_new (id, household_id, grid_id, worker, at, purpose, notes, photos)
    SELECT id, household_id, grid_id, worker, at, purpose, notes, photos FROM visit;
DROP TABLE visit;
ALTER TABLE visit_new RENAME TO visit;
-- By household: the primary key.
CREATE INDEX visit_by_worker ON visit (worker, at);
CREATE INDEX visit_by_grid ON visit (grid_id, at);

-- Device: a photo the upload of which cannot succeed by trying again. NULL: uploading as usual;
-- 'refused': the server answered 403/404 (no record it has in the user's scopes refers to it);
-- 'missing': its file is gone from this device. Neither is retried on every sync nor counted as
-- waiting; a refused photo is tried again once a record referring to it is acknowledged anew.
ALTER TABLE photo ADD COLUMN upload_blocked TEXT;
ALTER TABLE photo ADD COLUMN upload_error TEXT;
DROP INDEX photo_to_upload;
CREATE INDEX photo_to_upload ON photo (hash) WHERE uploaded = 0 AND upload_blocked IS NULL;

-- Device: thumbnails the server did not give (404 not uploaded yet, 403 out of scope), so an
-- idle sync does not ask for each of them again. Tried again after `retry_at`, which doubles
-- with every miss up to a day.
CREATE TABLE thumbnail_miss (
    hash     TEXT PRIMARY KEY,
    status   INTEGER NOT NULL, -- the HTTP status of the last miss
    misses   INTEGER NOT NULL,
    retry_at INTEGER NOT NULL  -- milliseconds since the epoch
) WITHOUT ROWID;

-- Documents and the lists of households and residents.

-- Facts about this store: its automerge actor id.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- One automerge document per record: a compacted snapshot plus the chunks saved since.
CREATE TABLE document (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    heads       BLOB NOT NULL,              -- the document's heads, 32-byte hashes back to back
    snapshot    BLOB NOT NULL,
    chunk_bytes INTEGER NOT NULL DEFAULT 0, -- total size of its chunks, to decide when to fold
    updated_at  INTEGER NOT NULL
);

CREATE TABLE document_chunk (
    doc_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;

-- Projection: one row per household, for every address list.
CREATE TABLE household (
    id             TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL,
    grid_id        TEXT NOT NULL,
    compound_id    TEXT NOT NULL,
    building_id    TEXT NOT NULL,
    unit           TEXT NOT NULL,
    room           TEXT NOT NULL,
    house_use      TEXT NOT NULL,
    head_name      TEXT NOT NULL,
    resident_count INTEGER NOT NULL,
    last_visit_at  INTEGER
);
CREATE INDEX household_by_grid ON household (grid_id, building_id, unit, room);
CREATE INDEX household_by_compound ON household (compound_id, building_id, unit, room);
CREATE INDEX household_by_building ON household (building_id, unit, room);

-- Projection: one row per resident, for search.
CREATE TABLE resident (
    id             TEXT PRIMARY KEY,
    household_id   TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    initials       TEXT NOT NULL,
    id_number      TEXT,
    id_valid       INTEGER NOT NULL, -- 1 when the ID number passes GB 11643
    id_reversed    TEXT,
    phone          TEXT,
    phone_reversed TEXT,
    moved_out      INTEGER NOT NULL,
    tags           TEXT NOT NULL
);
CREATE INDEX resident_by_household ON resident (household_id);
CREATE INDEX resident_by_initials ON resident (initials);
CREATE INDEX resident_by_id_reversed ON resident (id_reversed);
CREATE INDEX resident_by_phone_reversed ON resident (phone_reversed);

-- Reference data, written by the server, read on the device.
CREATE TABLE reference_item (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    parent_id TEXT,
    name      TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

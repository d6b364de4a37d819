-- Photos: files named by their SHA-256 beside the database, with a row each; and, as a
-- projection of the records, which record refers to which photo.

CREATE TABLE photo (
    hash         TEXT PRIMARY KEY,       -- SHA-256 (hex) of the JPEG bytes; also the file name
    role         TEXT NOT NULL,          -- 'full' or 'thumb'
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    owner_record TEXT,                   -- the record it was taken for, if known
    uploaded     INTEGER NOT NULL,       -- device: 1 once the server confirmed the hash
    created_at   INTEGER NOT NULL
);
CREATE INDEX photo_to_upload ON photo (hash) WHERE uploaded = 0;

CREATE TABLE photo_ref (
    record_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    hash      TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (record_id, hash)
) WITHOUT ROWID;
CREATE INDEX photo_ref_by_hash ON photo_ref (hash);

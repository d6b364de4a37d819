-- Sync. A device keeps, per record, the heads the server has acknowledged (its outbox is every
-- record whose heads differ) and, per scope, a cursor into the server's change log. The server
-- keeps the change log itself: every change it accepted, with a global sequence number and the
-- scope it was accepted in. Each side leaves the other's tables empty.

ALTER TABLE document ADD COLUMN acked_heads BLOB;   -- device: heads the server has confirmed
ALTER TABLE document ADD COLUMN refused_heads BLOB; -- device: heads the server refused, not re-sent
ALTER TABLE document ADD COLUMN refusal TEXT;       -- device: the server's reason, for the app
CREATE INDEX document_pending ON document (id) WHERE acked_heads IS NOT heads;

CREATE TABLE sync_cursor (
    scope          TEXT PRIMARY KEY,
    seq            INTEGER NOT NULL,
    snapshot_after TEXT          -- set while a scope's first download is under way
);

CREATE TABLE sync_status (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_success_at INTEGER,
    last_error_at   INTEGER,
    last_error      TEXT
);

CREATE TABLE change_log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    scope  TEXT NOT NULL,
    whole  INTEGER NOT NULL,  -- 1: the record entered this scope; send the whole document
    hash   BLOB,              -- the automerge change hash (NULL for whole entries)
    data   BLOB,              -- the encoded change
    device TEXT NOT NULL      -- the device that pushed it ('' for the server's own writes)
);
CREATE INDEX change_log_by_scope ON change_log (scope, seq);
CREATE UNIQUE INDEX change_log_once ON change_log (doc_id, scope, hash) WHERE hash IS NOT NULL;

-- A restored or replaced sync server, and the device's clock.
--
-- Server: its change log gets an identity, a random number made here (when the database is
-- created, or upgraded to this version) and made anew by `admin restore`. Every sync names the
-- log its cursors belong to, so a device can tell that its server's history changed. SQLite's
-- random() draws from the operating system's randomness. Devices get one too and never use it.
INSERT OR IGNORE INTO meta (key, value) VALUES ('log_id', random());

-- Device: a short tag of the server's log entry at the cursor's place (NULL from servers that
-- sent none), sent back with the cursor so the server can tell its own history from a lost one.
ALTER TABLE sync_cursor ADD COLUMN tag INTEGER;

-- Device: the device's clock minus the server's, in milliseconds, as of the last sync.
ALTER TABLE sync_status ADD COLUMN clock_offset_ms INTEGER;

-- Device: while healing from a restored server (meta 'healing'), the records whose
-- acknowledgement came from the old log and that the server has not yet sent back whole.
-- When the re-download ends, the server lacks these entirely: they are pushed whole.
CREATE TABLE heal_unconfirmed (
    id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Device: 1 for a photo that the server confirmed before it was restored: ask it (HEAD)
-- whether it still has the photo before uploading it again.
ALTER TABLE photo ADD COLUMN upload_check INTEGER NOT NULL DEFAULT 0;

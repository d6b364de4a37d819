-- Server: which records may show which photo (security issue 12, part 5). A record naming a
-- photo's hash is not enough to be given the photo: a grant is made when someone who may see
-- the record uploads the photo for it, or when a record is written by someone who could see
-- the photo already (see store/photo_grants.rs). Not a projection: it is not derived from the
-- documents alone.
CREATE TABLE photo_grant (
    hash      TEXT NOT NULL,
    record_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    PRIMARY KEY (hash, record_id)
);
-- Photos stored before grants existed keep showing with every record that refers to them now.
INSERT OR IGNORE INTO photo_grant (hash, record_id)
    SELECT r.hash, r.record_id FROM photo_ref r JOIN photo p ON p.hash = r.hash
    WHERE p.uploaded = 1 AND EXISTS (SELECT 1 FROM document d WHERE d.id = r.record_id);

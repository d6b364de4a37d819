-- Server: the automerge ops each user added to each record per day (`Store::accept_pushed_by`).
-- A record's history counts toward its limits and is never compacted, so without a budget one
-- colleague could spend a household's ops in one sync and freeze it for everyone. Rows of
-- earlier days are deleted as the record is written again.
CREATE TABLE record_ops_by_user (
    record_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    day       INTEGER NOT NULL,
    ops       INTEGER NOT NULL,
    PRIMARY KEY (record_id, user_id, day)
) WITHOUT ROWID;

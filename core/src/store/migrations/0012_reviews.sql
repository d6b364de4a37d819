-- Reviews (a visit sent back) as a list of their own, with their time, so a review dated in
-- the future (a reviewer's phone clock ahead) is found at query time like such a visit.
CREATE TABLE review (
    household_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    grid_id      TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (household_id, id)
);
CREATE INDEX review_by_grid ON review (grid_id, at);

-- Rectification orders, issue reports, and everyone's to-dos, as lists.

CREATE TABLE work_order (
    id             TEXT PRIMARY KEY REFERENCES document(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    compound_id    TEXT NOT NULL,
    company_id     TEXT NOT NULL,
    issuer         TEXT NOT NULL,
    status         TEXT NOT NULL,
    deadline       INTEGER NOT NULL,
    issued_at      INTEGER,
    finished_at    INTEGER,
    reopen_count   INTEGER NOT NULL,
    items_total    INTEGER NOT NULL,
    items_answered INTEGER NOT NULL,
    severity       INTEGER NOT NULL,   -- weight of the most severe item, 1-3
    from_report    TEXT
);
CREATE INDEX work_order_by_status ON work_order (status, deadline);
CREATE INDEX work_order_by_company ON work_order (company_id, status, deadline);
CREATE INDEX work_order_by_compound ON work_order (compound_id, status, deadline);
CREATE INDEX work_order_by_issuer ON work_order (issuer, status, deadline);
-- Open orders by deadline, for the overdue list.
CREATE INDEX work_order_open_by_deadline ON work_order (deadline)
    WHERE status NOT IN ('draft', 'verified', 'cancelled');

CREATE TABLE report (
    id          TEXT PRIMARY KEY REFERENCES document(id) ON DELETE CASCADE,
    category    TEXT NOT NULL,
    description TEXT NOT NULL,
    grid_id     TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    reporter    TEXT NOT NULL,
    assignee    TEXT,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    order_id    TEXT
);
CREATE INDEX report_by_status ON report (status, created_at);
CREATE INDEX report_by_category ON report (category, status, created_at);
CREATE INDEX report_by_grid ON report (grid_id, status, created_at);

-- Who must act on what: `user:<id>` or `company:<code>`.
CREATE TABLE todo (
    record_id TEXT NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    assignee  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    note      TEXT NOT NULL,
    since     INTEGER NOT NULL,
    PRIMARY KEY (record_id, assignee, kind)
) WITHOUT ROWID;
CREATE INDEX todo_by_assignee ON todo (assignee, since);

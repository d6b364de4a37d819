-- The resident projection holds each resident's relation to the head and registration, so a
-- ledger export of an area reads the list tables, not every document (issue 14 part 9).
ALTER TABLE resident ADD COLUMN relation TEXT NOT NULL DEFAULT '';
ALTER TABLE resident ADD COLUMN registration TEXT NOT NULL DEFAULT '';

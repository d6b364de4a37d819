-- Findings keep their detail as a message (a code with named parameters, JSON) so the pages
-- and apps render it in the reader's language; the rows in the old English form are rebuilt
-- from the documents by the re-projection this migration asks for.
DELETE FROM finding;

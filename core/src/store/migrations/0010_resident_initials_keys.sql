-- A resident has several pinyin-initials keys, not one: the name's first character(s) read as a
-- surname (曾小明 → zxm, 曾 as zēng) and every character in its common reading (cxm), plus
-- each later part of a name written in parts (阿依古丽·买买提 → mmt), and other readings of
-- polyphonic characters in the given name (李长江 → lzj, lcj). One row per key, so a
-- prefix search stays a range scan of one index whichever key the worker typed. Only residents
-- not moved out have keys: search never lists the others.
-- `resident.initials` keeps the preferred key (the first); its index served the search and is
-- no longer used. Filled by the rebuild.
CREATE TABLE resident_key (
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    resident_id  TEXT NOT NULL,
    initials     TEXT NOT NULL,
    -- 1 when the key reads a given-name character other than its common way (李长江 → lcj):
    -- such hits are listed after the others.
    variant      INTEGER NOT NULL,
    name         TEXT NOT NULL, -- the resident's, to rank hits from the index alone
    PRIMARY KEY (household_id, resident_id, initials)
) WITHOUT ROWID;
-- Covering for the search: range on initials, ranking by variant and name, ids from the key.
CREATE INDEX resident_key_by_initials ON resident_key (initials, variant, name);
DROP INDEX resident_by_initials;

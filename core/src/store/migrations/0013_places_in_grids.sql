-- Scopes from reference data: a compound or a building lies in a grid, and a compound is
-- served by a property company, as the reference data says (before, the server derived a
-- grid's compounds from what households said, so a household could widen its writer's scopes).
ALTER TABLE reference_item ADD COLUMN grid_id TEXT;
ALTER TABLE reference_item ADD COLUMN company_id TEXT;

-- Fill them once from the records as they are at the upgrade, so a running district keeps its
-- scopes: a compound lies in the grid most of its households are in, a building in the grid
-- most of its households are in when that is not its compound's; a compound is served by the
-- company most of its orders went to. Administrators correct them from then on; records never
-- move them again.
UPDATE reference_item SET grid_id = (
    SELECT grid_id FROM household WHERE compound_id = reference_item.id
    GROUP BY grid_id ORDER BY COUNT(*) DESC, grid_id LIMIT 1
) WHERE kind = 'compound';
UPDATE reference_item SET grid_id = (
    SELECT h.grid_id FROM household h WHERE h.building_id = reference_item.id
    GROUP BY h.grid_id ORDER BY COUNT(*) DESC, h.grid_id LIMIT 1
) WHERE kind = 'building';
UPDATE reference_item SET grid_id = NULL WHERE kind = 'building' AND grid_id = (
    SELECT c.grid_id FROM reference_item c
    WHERE c.kind = 'compound' AND c.id = reference_item.parent_id
);
UPDATE reference_item SET company_id = (
    SELECT company_id FROM work_order WHERE compound_id = reference_item.id
    GROUP BY company_id ORDER BY COUNT(*) DESC, company_id LIMIT 1
) WHERE kind = 'compound';

-- A server's reference data changed: its version moves on, so devices download it again. A
-- device (it has cursors) forgets its version for the same reason: it must take the server's
-- places, not its own guess from the households it holds.
UPDATE meta SET value = CASE
    WHEN EXISTS (SELECT 1 FROM sync_cursor) THEN 0
    ELSE value + 1
END WHERE key = 'reference_version';

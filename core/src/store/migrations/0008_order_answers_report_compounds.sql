-- When the company last answered an order (counted answers only): ratings judge "on time" by
-- the company's answer, not by when the inspector came round to verify. Filled by the rebuild.
ALTER TABLE work_order ADD COLUMN answered_at INTEGER;

-- Reports are also in their compound's scope (an inspector of the compound receives them to
-- escalate): the server lists a compound's reports for a device's first download.
CREATE INDEX report_by_compound ON report (compound_id, id);

-- A multiplier may stand at any step of a pipeline. The run that reaches it keeps its trace up
-- to the multiplier's call once (`inherited_trace`, written when it is expanded); each child
-- names it (`parent_run_id`), starts at the step after the multiplier (`first_step`) and keeps
-- what the multiplier returned for it (`split_output`, its copy of the call's output).
ALTER TABLE runs ADD COLUMN first_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN parent_run_id BIGINT;
ALTER TABLE runs ADD COLUMN split_output TEXT;
ALTER TABLE runs ADD COLUMN inherited_trace TEXT;
-- Split runs planned before this: their multiplier was the first block, and their traces
-- start after it.
UPDATE runs SET first_step = 1 WHERE split_index >= 0;

-- A job whose runs are still being planned from an uploaded seed file has status 'planning':
-- its runs are committed batch by batch (no transaction spans the file's read), no worker
-- claims them, and no listing shows the job until it turns 'running'. `planner` names the
-- process planning it and `planned_at` is when it last wrote a batch, so that a server can
-- sweep the plans left by a process that died (`Store::sweep_abandoned_plans`).
ALTER TABLE jobs ADD COLUMN planner TEXT;
ALTER TABLE jobs ADD COLUMN planned_at BIGINT;

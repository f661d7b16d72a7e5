-- Leases of a run lost to its worker's death (a claim took it over after the lease expired),
-- counted apart from `attempts` (every claim): a worker killed mid-job is not the run's fault,
-- so these have a limit of their own, and a clean stop hands leases back without counting.
ALTER TABLE runs ADD COLUMN lost_leases BIGINT NOT NULL DEFAULT 0;

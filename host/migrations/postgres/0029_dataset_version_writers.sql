-- Unfinished dataset versions (ready = 0) name the process writing them and when it last wrote,
-- so a version left behind by a killed import is swept (store/dataset_sweep.rs) while one that
-- a live process is still writing is not.
ALTER TABLE dataset_versions ADD COLUMN writer TEXT;
ALTER TABLE dataset_versions ADD COLUMN touched_at BIGINT;

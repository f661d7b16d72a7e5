-- A job's quality report (engine/quality.rs), counted from its records' traces in the
-- transaction that writes the records, like the token counters. One row per counter:
--   section 'records': name '', bucket 'checked' | 'passed'
--   section 'judge' (0–10 scores) or 'metric' (0–1 scores): name = the criterion,
--     bucket = the bin '0'..'9', or 'sum_milli' (the scores' sum in thousandths)
--   section 'step': name = '<step>:<block type>', bucket 'checked' | 'flagged' | 'fixed' | 'removed'
CREATE TABLE job_quality (
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    name TEXT NOT NULL,
    bucket TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, section, name, bucket)
);

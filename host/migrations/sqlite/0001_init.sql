-- blockforge schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: the two
-- differ only in identity columns. JSON is stored as TEXT, times as Unix milliseconds.

CREATE TABLE pipelines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    validation_config TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id BIGINT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    total_runs BIGINT NOT NULL,
    completed_runs BIGINT NOT NULL DEFAULT 0,
    failed_runs BIGINT NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cached_tokens BIGINT NOT NULL DEFAULT 0,
    options TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT
);
CREATE INDEX jobs_pipeline ON jobs(pipeline_id);
CREATE INDEX jobs_status ON jobs(status);

-- One row per seed x repetition (x multiplier split): the unit of work, of claim and of resume.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seed_index BIGINT NOT NULL,
    repetition BIGINT NOT NULL,
    split_index BIGINT NOT NULL DEFAULT -1,
    metadata TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    UNIQUE (job_id, seed_index, repetition, split_index)
);
CREATE INDEX runs_claimable ON runs(job_id, status, lease_expires_at);

CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    pipeline_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
    trace_id TEXT NOT NULL,
    run_status TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    output TEXT NOT NULL,
    pipeline_output TEXT NOT NULL,
    trace TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX records_job_status ON records(job_id, status);
CREATE INDEX records_pipeline ON records(pipeline_id);

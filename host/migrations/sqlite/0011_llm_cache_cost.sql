-- The LLM response cache: an answer under the SHA-256 of everything that decides it (see
-- host/src/llm/cache.rs), with the usage of the call that produced it. Same text for SQLite
-- and PostgreSQL.
CREATE TABLE llm_cache (
    key TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- What a job lets the response cache do: auto (temperature 0 only), on, read-only, off.
ALTER TABLE jobs ADD COLUMN cache TEXT NOT NULL DEFAULT 'auto';

-- Cost (exact, in picodollars: 10^-12 USD), calls to models without a price, and calls
-- answered from the response cache; summed into the job in the transaction that writes its
-- records, like the token counters.
ALTER TABLE jobs ADD COLUMN cost_picodollars BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN unpriced_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cache_hits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN cost_picodollars BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN unpriced_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN cache_hits BIGINT NOT NULL DEFAULT 0;

-- Usage per model of a job (the model that answered), summed in the same transactions.
CREATE TABLE job_model_usage (
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cached_tokens BIGINT NOT NULL DEFAULT 0,
    cost_picodollars BIGINT NOT NULL DEFAULT 0,
    unpriced_calls BIGINT NOT NULL DEFAULT 0,
    cache_hits BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, model)
);

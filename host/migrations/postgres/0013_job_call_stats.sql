-- The model requests behind a job's records (from their traces' `llm_calls`), added in the
-- transaction that writes the records, like the token counters.
ALTER TABLE jobs ADD COLUMN llm_requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN llm_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN llm_retries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN llm_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN llm_wait_ms BIGINT NOT NULL DEFAULT 0;

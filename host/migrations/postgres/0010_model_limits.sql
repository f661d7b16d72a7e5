-- Per-model limits (`/api/llm-models`, `/api/embedding-models`): requests in flight at once,
-- requests per minute and tokens per minute. NULL means the default (LLM_MAX_CONCURRENCY,
-- LLM_RPM, LLM_TPM). Same text for SQLite and PostgreSQL.
ALTER TABLE models ADD COLUMN max_concurrency BIGINT;
ALTER TABLE models ADD COLUMN rpm BIGINT;
ALTER TABLE models ADD COLUMN tpm BIGINT;

-- The model registry (`/api/llm-models`, `/api/embedding-models`): one table for both kinds.
-- Keep in step with ../postgres/0007_models.sql: the two differ only in the identity column.
-- `api_key` is never returned in clear by the API. `is_default` is 0 or 1; the partial unique
-- index allows one default per kind.
CREATE TABLE models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    api_key TEXT NOT NULL,
    model_name TEXT NOT NULL,
    dimensions BIGINT NOT NULL DEFAULT 0,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, name)
);
CREATE UNIQUE INDEX models_one_default ON models(kind) WHERE is_default = 1;

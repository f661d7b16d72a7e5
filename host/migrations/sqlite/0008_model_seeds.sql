-- What the environment (LLM_*, EMBEDDING_*) last seeded into the model registry, per kind:
-- the model's name and a SHA-256 fingerprint of the seeded fields (never the key itself). A
-- seeded model whose fields still match its fingerprint was not edited, so it follows the
-- environment at the next start. Same text for SQLite and PostgreSQL.
CREATE TABLE model_seeds (
    kind TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seeded_at BIGINT NOT NULL
);

-- The `kv` import's storage for the server and workers: shared by every worker, kept across
-- restarts. `namespace` is `job:<id>` or `pipeline:<id>`.
CREATE TABLE kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);

-- What each kv namespace holds, kept in the same transaction as every write to `kv`, so the
-- namespace quotas (KV_MAX_KEYS_PER_NAMESPACE, KV_MAX_BYTES_PER_NAMESPACE) hold under
-- concurrent runs: a write locks its namespace's row first. `bytes` counts the UTF-8 bytes
-- of keys and values.
CREATE TABLE kv_usage (
    namespace TEXT PRIMARY KEY NOT NULL,
    keys BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO kv_usage (namespace, keys, bytes)
SELECT namespace, COUNT(*), SUM(octet_length(key) + octet_length(value))
FROM kv GROUP BY namespace;

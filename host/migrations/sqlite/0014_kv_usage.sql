-- What each kv namespace holds, kept in the same transaction as every write to `kv`, so the
-- namespace quotas (KV_MAX_KEYS_PER_NAMESPACE, KV_MAX_BYTES_PER_NAMESPACE) hold under
-- concurrent runs. `bytes` counts the UTF-8 bytes of keys and values.
CREATE TABLE kv_usage (
    namespace TEXT PRIMARY KEY NOT NULL,
    keys INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO kv_usage (namespace, keys, bytes)
SELECT namespace, COUNT(*), SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)))
FROM kv GROUP BY namespace;

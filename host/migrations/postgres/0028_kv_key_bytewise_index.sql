-- `kv` keys listed by prefix (`keys` of the kv import) are found by a range in byte order
-- (`key COLLATE "C"`), which the primary key's index, in the database's collation, cannot serve
-- unless that collation is "C": without this index every listing reads the whole namespace.
CREATE INDEX kv_namespace_key_bytewise ON kv (namespace, key COLLATE "C");

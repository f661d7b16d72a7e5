-- Named API keys (read-only or read-write). Only the SHA-256 of a key is kept: keys are 256
-- random bits, so a fast hash is enough and a stolen table gives no usable key. `prefix` is
-- the key's first characters, shown so that a user can tell keys apart.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    access TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

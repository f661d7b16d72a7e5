-- Server-wide settings changed through PUT /api/settings: one row per key that differs from
-- its default; the value is JSON text.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- What the operator grants each plugin (capabilities, models, kv quota, limits), as JSON
-- text; a plugin without a row has its kind's default grant. `kind` is `builtin` (named by
-- its crate) or `plugin` (named by its file stem).
CREATE TABLE grants (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    grant_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

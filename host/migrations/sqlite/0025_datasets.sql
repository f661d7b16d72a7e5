-- Datasets (store/datasets.rs): a named, versioned set of rows. Every import and operation
-- makes a new version; a version's rows are never changed after it is ready. A version is
-- written while ready = 0 (invisible to every read) and becomes visible in the statement that
-- sets ready = 1 with its counts, so a failed import leaves nothing anyone can see.
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- lineage: JSON {source: job | upload | operation, ...its parameters}; schema: JSON summary
-- {field: {types: {json type: count}}}.
CREATE TABLE dataset_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id BIGINT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    parent_id BIGINT REFERENCES dataset_versions(id) ON DELETE SET NULL,
    lineage TEXT NOT NULL,
    row_count BIGINT NOT NULL DEFAULT 0,
    schema_summary TEXT NOT NULL DEFAULT '{}',
    ready BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (dataset_id, number)
);

-- A version's rows in order (position 0, 1, ...), each one JSON object as text.
CREATE TABLE dataset_rows (
    version_id BIGINT NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);

-- The block runs most recently entered, for live progress (`current_block`, `current_step`).
ALTER TABLE jobs ADD COLUMN current_block TEXT;
ALTER TABLE jobs ADD COLUMN current_step BIGINT;

-- SyncDesk state store, version 1. The same statements run on SQLite and PostgreSQL:
-- portable types only, one statement per ';'.

-- Per (flow, record): the row both sides last agreed on, kept only for records that are not
-- in sync (an in-sync record's baseline is simply its current row).
CREATE TABLE IF NOT EXISTS baselines (
    flow              TEXT    NOT NULL,
    record_key        TEXT    NOT NULL,  -- the key as a JSON array, e.g. ["SKU-1"]
    present           INTEGER NOT NULL,  -- 0: the agreed state is "no such record"
    row_hash          BIGINT,            -- XXH3 of the canonical fields, as a signed 64-bit value
    field_values      TEXT,              -- canonical field texts as a JSON array (null = NULL)
    source_changed_at BIGINT  NOT NULL DEFAULT 0,  -- ms since the epoch, 0 = unknown
    target_changed_at BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (flow, record_key)
);

-- Where each change feed stopped, so a restart resumes there (an LSN for PostgreSQL logical
-- decoding, a high-water mark for polling).
CREATE TABLE IF NOT EXISTS feed_positions (
    system     TEXT   NOT NULL,
    feed       TEXT   NOT NULL,
    position   TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (system, feed)
);

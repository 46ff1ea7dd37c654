-- SyncDesk state store, version 2: the audit log.
-- Append-only: each entry's hash = SHA-256(prev_hash ‖ entry), both as lowercase hex text,
-- the first entry's prev_hash being 64 zeros. `audit verify` recomputes the chain.

CREATE TABLE IF NOT EXISTS audit_log (
    seq       BIGINT NOT NULL PRIMARY KEY,  -- 1, 2, 3, … without gaps
    entry     TEXT   NOT NULL,              -- canonical JSON: compact, keys sorted
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);

-- SyncDesk state store, version 6: operators' claims on records, so two people never resolve
-- the same record at once. A claim lapses at expires_at (ms since the epoch); a resolution by
-- anyone but its operator is refused while it holds. db_user is the database role that took
-- it: on a team's PostgreSQL, row-level security (`team setup`) lets only that role or an
-- admin change it. Audit appends and claims serialise on one lock, so a claim and an intent
-- are never both taken in ignorance of each other.
CREATE TABLE IF NOT EXISTS claims (
    flow       TEXT   NOT NULL,
    record_key TEXT   NOT NULL,  -- the key as JSON, as in baselines
    operator   TEXT   NOT NULL,
    os_user    TEXT   NOT NULL,
    host       TEXT   NOT NULL,
    db_user    TEXT   NOT NULL,  -- '' in an SQLite store
    claimed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (flow, record_key)
);

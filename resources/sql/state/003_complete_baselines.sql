-- SyncDesk state store, version 3: a baseline for every record of a flow, not only for the
-- records out of sync, so a change is always judged against what both sides last agreed on.

-- 0: no baseline is known (the record already differed at the flow's first comparison).
ALTER TABLE baselines ADD COLUMN known INTEGER NOT NULL DEFAULT 1;
-- 1: the record was in sync when this row was written; such rows are folded into the next
-- snapshot and removed.
ALTER TABLE baselines ADD COLUMN in_sync INTEGER NOT NULL DEFAULT 0;

-- Per flow, the baselines of all its records at one moment, packed in parts of up to 65,536
-- records (BaselineSnapshot: base64 of key, flags and hash per record). Rows of `baselines`
-- written later override it. A flow with a snapshot has a complete set: a key in neither is
-- agreed to exist on no side.
CREATE TABLE IF NOT EXISTS baseline_snapshots (
    flow     TEXT    NOT NULL,
    part     INTEGER NOT NULL,
    records  BIGINT  NOT NULL,
    taken_at BIGINT  NOT NULL,
    snapshot TEXT    NOT NULL,
    PRIMARY KEY (flow, part)
);

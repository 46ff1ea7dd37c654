-- SyncDesk state store, version 8: what the live engine of a team's desk (an agent) sees, so
-- that consoles attach to it instead of watching the systems themselves (LivePublisher writes,
-- AttachedDesk reads; a NOTIFY on channel syncdesk_live follows every write).

-- Per (flow, record): its live status. Rows of records back in sync stay a while as status 0,
-- so that attached consoles learn they left; they are pruned after a minute.
CREATE TABLE IF NOT EXISTS live_records (
    flow       TEXT    NOT NULL,
    record_key TEXT    NOT NULL,  -- the key as a JSON array
    status     INTEGER NOT NULL,  -- RecordStatus (0: back in sync)
    since_ms   BIGINT  NOT NULL,  -- when it fell out of sync: the lag clock's start
    lag_ms     BIGINT  NOT NULL,  -- the lag its last change arrived with
    version    BIGINT  NOT NULL,  -- the write that set it; rises across every flow
    PRIMARY KEY (flow, record_key)
);
CREATE INDEX IF NOT EXISTS live_records_version ON live_records (flow, version);

-- Per flow: where its rows stand. A console holding `epoch` and a version at least
-- `pruned_below` reads only the rows after its version; otherwise it reads the list again.
CREATE TABLE IF NOT EXISTS live_flows (
    flow         TEXT   NOT NULL PRIMARY KEY,
    epoch        BIGINT NOT NULL,  -- rises when the list is written whole (a comparison)
    version      BIGINT NOT NULL,  -- the last write's
    pruned_below BIGINT NOT NULL,  -- back-in-sync rows up to this version are gone
    updated_at   BIGINT NOT NULL   -- ms since the epoch
)

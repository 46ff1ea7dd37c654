-- SyncDesk state store, version 5: the sync's own numbers and the policies' state, kept so
-- that they survive restarts and can be reported on (`report sla`, the activity panel).

-- Counters per flow and hour (hour_start: ms since the epoch, a multiple of 3,600,000), summed
-- across writers: changes.<source|target>.<insert|update|delete>, conflicts_detected,
-- resolutions.<operator|policy>.<applied|refused|failed>, arrivals, arrivals_within_sla,
-- lag_bucket.<i> (LagHistogram's buckets of arrival lags).
CREATE TABLE IF NOT EXISTS activity_counts (
    flow       TEXT   NOT NULL,
    hour_start BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    value      BIGINT NOT NULL,
    PRIMARY KEY (flow, hour_start, name)
);

-- Maxima per flow and hour, with the record that set them: max_lag_ms.
CREATE TABLE IF NOT EXISTS activity_peaks (
    flow       TEXT   NOT NULL,
    hour_start BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    value      BIGINT NOT NULL,
    record_key TEXT,
    PRIMARY KEY (flow, hour_start, name)
);

-- Periods during which a flow had at least one record past its SLA (ended_at NULL: still
-- open), with the record that waited longest and how many records were late in it.
CREATE TABLE IF NOT EXISTS sla_breaches (
    flow         TEXT   NOT NULL,
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    worst_key    TEXT,
    worst_lag_ms BIGINT NOT NULL DEFAULT 0,
    records      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (flow, started_at)
);

-- A flow's conflict policy halted by its guard, until an operator resumes it.
CREATE TABLE IF NOT EXISTS policy_state (
    flow       TEXT    NOT NULL PRIMARY KEY,
    halted     INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    changed_at BIGINT  NOT NULL,
    changed_by TEXT    NOT NULL
);

-- SyncDesk state store, version 9: which agent watches a team's desk. Agents started on the
-- same workspace take this row in turn: the holder renews it every few seconds; the others
-- stand by and take it once it has lapsed (the holder died) or was given up (it stopped), so
-- the desk is watched by exactly one engine, and never by none for long. Times are the
-- store's clock, in ms since the epoch, so no two machines have to agree on theirs.
CREATE TABLE IF NOT EXISTS agent_lease (
    name         TEXT   NOT NULL PRIMARY KEY,  -- 'desk'
    agent        TEXT   NOT NULL,              -- the holder: host, pid and a random tag
    host         TEXT   NOT NULL,
    pid          BIGINT NOT NULL,
    taken_at     BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
)

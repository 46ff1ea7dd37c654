-- SyncDesk state store, version 4: the desk at a glance, as the live engine (watch, an agent,
-- the console) last saw it, about once a second; `syncdesk-cli status` reads it.
CREATE TABLE IF NOT EXISTS desk_status (
    name       TEXT   NOT NULL PRIMARY KEY,  -- 'desk'
    updated_at BIGINT NOT NULL,              -- ms since the epoch
    status     TEXT   NOT NULL               -- DeskStatus JSON
);

-- SyncDesk state store, version 7: the audit log read by record and by resolution, never
-- whole. A record's history, a resolution's undo and the intents left open are index reads,
-- however many years of entries the log holds. The columns repeat what each entry says (the
-- chain hashes the entry, not them); appends fill them, the migration fills older rows.
ALTER TABLE audit_log ADD COLUMN flow TEXT;
ALTER TABLE audit_log ADD COLUMN record_key TEXT;      -- the entry's "key", compact JSON
ALTER TABLE audit_log ADD COLUMN entry_type TEXT;      -- intent, outcome, policy, claim, …
ALTER TABLE audit_log ADD COLUMN resolution_id TEXT;   -- an intent's or outcome's "id"
ALTER TABLE audit_log ADD COLUMN undoes TEXT;          -- an undo's intent: the resolution it reverts
CREATE INDEX IF NOT EXISTS audit_log_record ON audit_log (flow, record_key, seq);
CREATE INDEX IF NOT EXISTS audit_log_resolution ON audit_log (resolution_id);
CREATE INDEX IF NOT EXISTS audit_log_undoes ON audit_log (undoes);
CREATE INDEX IF NOT EXISTS audit_log_flow ON audit_log (flow, seq);

-- Intents without an outcome yet (a resolution under way, or one killed between its steps),
-- so that closing them at the next start reads these rows, not the log.
CREATE TABLE IF NOT EXISTS open_intents (
    resolution_id TEXT   NOT NULL PRIMARY KEY,
    seq           BIGINT NOT NULL
);

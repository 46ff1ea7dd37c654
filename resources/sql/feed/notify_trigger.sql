-- SyncDesk change notification for {{TABLE}}: review, then run it as the table's owner.
-- Used where logical decoding is not allowed (no wal_level=logical, no replication role):
-- every row change sends NOTIFY syncdesk_changes with the row's key, delivered at commit.
-- Notifications sent while no watch listens are lost; the watch's verification scan finds
-- what was missed. Remove with:
--   DROP TRIGGER syncdesk_notify ON {{TABLE}};

CREATE OR REPLACE FUNCTION {{SCHEMA}}.syncdesk_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    key_columns text[] := TG_ARGV;
    old_key json;
    new_key json;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_key := (SELECT json_object_agg(c, to_jsonb(OLD) ->> c) FROM unnest(key_columns) AS c);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_key := (SELECT json_object_agg(c, to_jsonb(NEW) ->> c) FROM unnest(key_columns) AS c);
    END IF;
    -- An update that keeps its key is one change of one record: one notification. One that
    -- moves the key changes two records (the old key is gone, the new one appears).
    IF old_key IS NOT NULL AND (new_key IS NULL OR old_key::text <> new_key::text) THEN
        PERFORM pg_notify('syncdesk_changes', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
            'at', floor(extract(epoch FROM clock_timestamp()) * 1000), 'key', old_key)::text);
    END IF;
    IF new_key IS NOT NULL THEN
        PERFORM pg_notify('syncdesk_changes', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
            'at', floor(extract(epoch FROM clock_timestamp()) * 1000), 'key', new_key)::text);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS syncdesk_notify ON {{TABLE}};
CREATE TRIGGER syncdesk_notify AFTER INSERT OR UPDATE OR DELETE ON {{TABLE}}
    FOR EACH ROW EXECUTE FUNCTION {{SCHEMA}}.syncdesk_notify({{KEY_COLUMNS}});

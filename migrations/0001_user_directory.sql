-- The text search configuration of the user directory (src/db/schema/user-directory.ts): accent-
-- insensitive through the unaccent extension, and `simple` otherwise (every word kept, no stop words,
-- no stemming: names are not prose). Text is lower-cased and NFKC-normalised by the application before
-- it reaches Postgres (src/services/directory/terms.ts), since lower() under the C locale is ASCII-only.
-- Idempotent: safe to run on every migration.
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'user_directory') THEN
    CREATE TEXT SEARCH CONFIGURATION user_directory (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION user_directory
      ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart WITH unaccent, simple;
  END IF;
END $$;

-- Whether a state event makes its room public for the user directory: join rule `public`, or history
-- `world_readable`. It never raises: Postgres' json cannot read every PDU (\u0000, lone surrogates), and
-- such an event must neither fail the insert that this index's predicate runs in nor a search; it
-- counts as not public (so nobody is revealed by it). Raw JSON text is compared: ->> could raise too.
CREATE OR REPLACE FUNCTION user_directory_public_state(event_type text, pdu text) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF event_type = 'm.room.join_rules' THEN
    RETURN coalesce(((pdu::json -> 'content') -> 'join_rule')::text = '"public"', false);
  ELSIF event_type = 'm.room.history_visibility' THEN
    RETURN coalesce(((pdu::json -> 'content') -> 'history_visibility')::text = '"world_readable"', false);
  END IF;
  RETURN false;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;

-- The events that ever made a room public: a few rows, so that the directory finds public rooms without
-- reading every event. The predicate must stay exactly as PUBLIC_STATE_EVENT in
-- src/db/queries/user-directory.ts (without its table alias) for Postgres to use the index.
CREATE INDEX IF NOT EXISTS events_public_state ON events (room_id)
  WHERE type IN ('m.room.join_rules', 'm.room.history_visibility') AND user_directory_public_state(type, json);

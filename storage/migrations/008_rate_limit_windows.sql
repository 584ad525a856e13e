-- Rate limits as sliding windows: at most per_minute requests in any 60 s and
-- per_second in any 1 s. Migration 005's GCRA let a key that had been idle
-- send its whole allowance at once and then keep the sustained rate, so any
-- 1 s could hold twice per_second (39 of 20 measured) and the first minute
-- twice per_minute; no GCRA can both allow a burst of the whole limit and keep
-- every window within it.
--
-- Each limit counts requests in a ring of buckets (1 s buckets for the
-- minute, 50 ms for the second) and admits a request only when the buckets
-- that may hold requests of the last period, the oldest one whole, leave room.
-- The oldest bucket counts in full, so the bound holds for every window,
-- and a slot frees at most one bucket (1 s / 50 ms) after a strict window
-- would have freed it.
--
-- Expand-only: this release calls rate_limit_take(team, key, ...); the
-- previous release's rate_limit_take(key, ...) keeps its signature and
-- results and now uses this table too (reading the key's team), so replicas
-- of both releases share the same budget during a rollout.
-- rate_limit_buckets stays, unused. Keyed by team first, like every table
-- of tenant data, so that it can be distributed by team.
CREATE UNLOGGED TABLE rate_limit_windows (
  team_id text NOT NULL,
  api_key_id text NOT NULL,
  -- Per limit: the newest bucket the ring holds, the ring's counts (bucket
  -- b in slot b % length), and their sum.
  minute_bucket bigint NOT NULL,
  minute_counts integer[] NOT NULL,
  minute_total integer NOT NULL,
  second_bucket bigint NOT NULL,
  second_counts integer[] NOT NULL,
  second_total integer NOT NULL
,
  PRIMARY KEY (team_id, api_key_id)
) WITH (fillfactor = 50);

-- The first bucket, from `now_bucket` on, at which a ring at `now_bucket`
-- has room for one more request under `lim`. Only for refusals.
CREATE FUNCTION rate_limit_room_from(counts integer[], total bigint, now_bucket bigint,
                                     lim integer)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  slots constant integer := array_length(counts, 1);
BEGIN
  IF total < lim THEN
    RETURN now_bucket;
  END IF;
  -- Oldest first: each bucket leaves the window `slots` buckets after its
  -- own. (Offsets: an integer FOR loop cannot count bigint bucket numbers.)
  FOR i IN 1 .. slots LOOP
    total := total - counts[(now_bucket - slots + i) % slots + 1];
    IF total < lim THEN
      RETURN now_bucket + i;
    END IF;
  END LOOP;
  RETURN now_bucket + slots;
END
$$;

-- Takes one request from both limits of a key, atomically, or nothing: the
-- row lock serialises a key's requests across replicas and the database
-- clock is the one they share. `p_now` (unix seconds) is for tests; NULL
-- reads the clock after the lock, so time spent queueing behind the key's
-- other requests does not count against this one. Returns whether it was
-- allowed, the requests that would pass right now after it (the smaller
-- room of the two limits), when the minute allowance is whole again (unix
-- seconds) and, when refused, how long until a retry would pass.
CREATE FUNCTION rate_limit_take_at(p_team text, p_key text, p_per_minute integer,
                                   p_per_second integer,
                                   p_now double precision,
                                   OUT allowed boolean, OUT remaining integer,
                                   OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
  -- 61 one-second buckets span the 60 s before now and the current second;
  -- 21 buckets of 50 ms the same for the 1 s window.
  m_slots constant integer := 61;
  s_slots constant integer := 21;
  s_per_second constant integer := 20;
  -- Local arrays, not a row's fields: plpgsql updates those in place.
  m_counts integer[];
  s_counts integer[];
  m_bucket bigint;
  s_bucket bigint;
  m_total integer;
  s_total integer;
  t_now double precision;
  m_now bigint;
  s_now bigint;
  slot integer;
BEGIN
  SELECT minute_bucket, minute_counts, minute_total, second_bucket, second_counts, second_total
    INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total
    FROM rate_limit_windows WHERE team_id = p_team AND api_key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_windows
      VALUES (p_team, p_key, 0, array_fill(0, ARRAY[m_slots]), 0, 0,
              array_fill(0, ARRAY[s_slots]), 0)
      ON CONFLICT (team_id, api_key_id) DO NOTHING;
    SELECT minute_bucket, minute_counts, minute_total, second_bucket, second_counts, second_total
      INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total
      FROM rate_limit_windows WHERE team_id = p_team AND api_key_id = p_key FOR UPDATE;
  END IF;
  t_now := coalesce(p_now, extract(epoch FROM clock_timestamp())::double precision);
  -- Never backwards (a clock step): the rings only move on, emptying the
  -- buckets they pass.
  m_now := greatest(m_bucket, floor(t_now)::bigint);
  s_now := greatest(s_bucket, floor(t_now * s_per_second)::bigint);
  IF m_now - m_bucket >= m_slots THEN
    m_counts := array_fill(0, ARRAY[m_slots]);
    m_total := 0;
  ELSE
    FOR i IN 1 .. m_now - m_bucket LOOP
      slot := (m_bucket + i) % m_slots + 1;
      m_total := m_total - m_counts[slot];
      m_counts[slot] := 0;
    END LOOP;
  END IF;
  IF s_now - s_bucket >= s_slots THEN
    s_counts := array_fill(0, ARRAY[s_slots]);
    s_total := 0;
  ELSE
    FOR i IN 1 .. s_now - s_bucket LOOP
      slot := (s_bucket + i) % s_slots + 1;
      s_total := s_total - s_counts[slot];
      s_counts[slot] := 0;
    END LOOP;
  END IF;
  allowed := m_total < p_per_minute AND s_total < p_per_second;
  IF allowed THEN
    slot := m_now % m_slots + 1;
    m_counts[slot] := m_counts[slot] + 1;
    m_total := m_total + 1;
    slot := s_now % s_slots + 1;
    s_counts[slot] := s_counts[slot] + 1;
    s_total := s_total + 1;
    UPDATE rate_limit_windows
       SET minute_bucket = m_now, minute_counts = m_counts, minute_total = m_total,
           second_bucket = s_now, second_counts = s_counts, second_total = s_total
     WHERE team_id = p_team AND api_key_id = p_key;
    retry_after_ms := 0;
  ELSE
    retry_after_ms := greatest(1, ceil(1000 * (greatest(
        rate_limit_room_from(m_counts, m_total, m_now, p_per_minute)::double precision,
        rate_limit_room_from(s_counts, s_total, s_now, p_per_second)::double precision
            / s_per_second) - t_now)));
  END IF;
  remaining := greatest(0, least(p_per_minute - m_total, p_per_second - s_total));
  -- The newest counted bucket leaves the minute window last.
  reset_unix := ceil(t_now);
  FOR i IN 0 .. m_slots - 1 LOOP
    IF m_counts[(m_now - i) % m_slots + 1] > 0 THEN
      reset_unix := m_now - i + m_slots;
      EXIT;
    END IF;
  END LOOP;
END
$$;

CREATE FUNCTION rate_limit_take(p_team text, p_key text, p_per_minute integer,
                                p_per_second integer,
                                OUT allowed boolean, OUT remaining integer,
                                OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE sql AS $$
  SELECT * FROM rate_limit_take_at(p_team, p_key, p_per_minute, p_per_second, NULL)
$$;

-- The previous release's call: the same budget, its team read from the key.
CREATE OR REPLACE FUNCTION rate_limit_take(p_key text, p_per_minute integer, p_per_second integer,
                                           OUT allowed boolean, OUT remaining integer,
                                           OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE sql AS $$
  SELECT * FROM rate_limit_take_at(
      coalesce((SELECT team_id FROM api_keys WHERE id = p_key), ''), p_key, p_per_minute,
      p_per_second, NULL)
$$;

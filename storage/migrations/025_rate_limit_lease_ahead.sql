-- Leases ahead (issue 18): a replica leases the NEXT 50 ms bucket's requests
-- before the current bucket ends, so that admission at a bucket's edge does
-- not wait for a round trip. Migration 020's leases end with their bucket;
-- every call arriving before the next lease was back waited for it (9% of
-- the signups' throughput in the bench).
--
-- Requests leased ahead are counted in bucket s_now + 1, which the rings
-- cannot hold yet (its slot is still the oldest bucket's of the current
-- window), so they wait in ahead_bucket / ahead_count until the rings reach
-- that bucket and then join both rings (the minute's at ahead_bucket / 20).
-- A replica uses them only within that bucket, by the database's clock:
-- from the end of the bucket the lease was answered in (timed from after
-- the answer came) to the end of the next (timed from before the request
-- was sent). Every grant into the current bucket also checks the windows
-- that end with the next one, pending requests included, so no window ever
-- holds more than the limit: the bound stays exact.
--
-- Expand-only: two columns with defaults; rate_limit_take_at (migration 008,
-- behind both rate_limit_take calls) and migration 020's rate_limit_lease
-- keep their signatures and results and become calls of the function below
-- (with nothing ahead), so replicas of the previous releases see what was
-- leased ahead and still share one budget.
ALTER TABLE rate_limit_windows
  ADD COLUMN ahead_bucket bigint NOT NULL DEFAULT 0,
  ADD COLUMN ahead_count integer NOT NULL DEFAULT 0;

-- Migration 020's rate_limit_lease, with `p_ahead`: true grants up to
-- `p_extra` requests (p_need 0) into the next 50 ms bucket instead, from the
-- room above half of each limit in the windows that end with it, not scaled
-- by time (the whole bucket is ahead); its minute_bucket and second_bucket
-- are that bucket's, and bucket_left_us is the time until it starts.
-- Returns naming a bucket still ahead come off ahead_count.
CREATE FUNCTION rate_limit_lease(p_team text, p_key text, p_per_minute integer,
                                 p_per_second integer, p_need integer, p_extra integer,
                                 p_return_n integer, p_return_minute_bucket bigint,
                                 p_return_second_bucket bigint, p_now double precision,
                                 p_ahead boolean,
                                 OUT granted integer, OUT remaining integer,
                                 OUT reset_unix bigint, OUT retry_after_ms bigint,
                                 OUT minute_bucket bigint, OUT second_bucket bigint,
                                 OUT bucket_left_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
  -- As migration 008's rate_limit_take_at.
  m_slots constant integer := 61;
  s_slots constant integer := 21;
  s_per_second constant integer := 20;
  m_counts integer[];
  s_counts integer[];
  m_bucket bigint;
  s_bucket bigint;
  m_total integer;
  s_total integer;
  a_bucket bigint;
  a_count integer;
  t_now double precision;
  m_now bigint;
  s_now bigint;
  -- The windows that end with bucket s_now + 1: the current ones less their
  -- oldest bucket (the minute's only when the next bucket starts a second),
  -- plus what is leased ahead into it.
  m_next integer;
  s_next integer;
  crosses boolean;
  slot integer;
  back integer;
  spare bigint;
  left_fraction double precision;
  extra integer;
  m_ring integer[];
  s_ring integer[];
BEGIN
  p_ahead := coalesce(p_ahead, false);
  IF p_need NOT IN (0, 1) OR p_extra < 0 OR p_return_n < 0 OR (p_ahead AND p_need <> 0) THEN
    RAISE EXCEPTION 'rate_limit_lease: need must be 0 or 1 (0 ahead), extra and return_n not negative'
      USING ERRCODE = '22023';
  END IF;
  SELECT w.minute_bucket, w.minute_counts, w.minute_total, w.second_bucket, w.second_counts,
         w.second_total, w.ahead_bucket, w.ahead_count
    INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total, a_bucket, a_count
    FROM rate_limit_windows w WHERE w.team_id = p_team AND w.api_key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_windows (team_id, api_key_id, minute_bucket, minute_counts,
                                    minute_total, second_bucket, second_counts, second_total)
      VALUES (p_team, p_key, 0, array_fill(0, ARRAY[m_slots]), 0, 0,
              array_fill(0, ARRAY[s_slots]), 0)
      ON CONFLICT (team_id, api_key_id) DO NOTHING;
    SELECT w.minute_bucket, w.minute_counts, w.minute_total, w.second_bucket, w.second_counts,
           w.second_total, w.ahead_bucket, w.ahead_count
      INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total, a_bucket, a_count
      FROM rate_limit_windows w WHERE w.team_id = p_team AND w.api_key_id = p_key FOR UPDATE;
  END IF;
  t_now := coalesce(p_now, extract(epoch FROM clock_timestamp())::double precision);
  -- The rings move on as in rate_limit_take_at, never backwards; both are
  -- written together, so m_now = s_now / 20 always.
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
  -- A bucket leased ahead that the rings have reached joins them (after the
  -- move, which emptied its slots), where it still counts.
  IF a_count > 0 AND a_bucket <= s_now THEN
    IF s_now - a_bucket < s_slots THEN
      slot := a_bucket % s_slots + 1;
      s_counts[slot] := s_counts[slot] + a_count;
      s_total := s_total + a_count;
    END IF;
    IF a_bucket / s_per_second <= m_now AND m_now - a_bucket / s_per_second < m_slots THEN
      slot := (a_bucket / s_per_second) % m_slots + 1;
      m_counts[slot] := m_counts[slot] + a_count;
      m_total := m_total + a_count;
    END IF;
    a_count := 0;
  END IF;
  -- Still pending, a_bucket is s_now + 1: it was leased at a bucket <= s_now.

  -- Give back: a bucket still in its ring holds exactly its own count, which
  -- included these requests; never below zero (a ring emptied meanwhile). A
  -- bucket still ahead holds them in ahead_count only.
  IF p_return_n > 0 THEN
    IF p_return_second_bucket > s_now THEN
      IF a_count > 0 AND p_return_second_bucket = a_bucket THEN
        a_count := a_count - least(p_return_n, a_count);
      END IF;
    ELSE
      IF p_return_minute_bucket <= m_now AND m_now - p_return_minute_bucket < m_slots THEN
        slot := p_return_minute_bucket % m_slots + 1;
        back := least(p_return_n, m_counts[slot]);
        m_counts[slot] := m_counts[slot] - back;
        m_total := m_total - back;
      END IF;
      IF s_now - p_return_second_bucket < s_slots THEN
        slot := p_return_second_bucket % s_slots + 1;
        back := least(p_return_n, s_counts[slot]);
        s_counts[slot] := s_counts[slot] - back;
        s_total := s_total - back;
      END IF;
    END IF;
  END IF;

  crosses := (s_now + 1) / s_per_second > m_now;
  s_next := s_total - s_counts[(s_now + 1) % s_slots + 1] + a_count;
  m_next := m_total + a_count;
  IF crosses THEN
    m_next := m_next - m_counts[(m_now + 1) % m_slots + 1];
  END IF;
  -- The time left in the current 50 ms bucket; s_now is ahead of the clock
  -- only after a clock step back, and then counts as a whole bucket.
  bucket_left_us := least(1000000 / s_per_second,
                          greatest(0, floor(1000000 * ((s_now + 1)::double precision / s_per_second
                                                       - t_now))))::bigint;
  granted := 0;
  IF p_ahead THEN
    -- Only from the room above half of each limit, as speculation always.
    spare := least(p_per_minute / 2 - m_next, p_per_second / 2 - s_next);
    granted := least(p_extra::bigint, greatest(0, spare))::integer;
    IF granted > 0 THEN
      a_bucket := s_now + 1;
      a_count := a_count + granted;
      m_next := m_next + granted;
      s_next := s_next + granted;
    END IF;
  ELSE
    -- A request counted now is in the windows ending now and in those ending
    -- with the next bucket.
    IF p_need = 1 AND greatest(m_total, m_next) < p_per_minute
        AND greatest(s_total, s_next) < p_per_second THEN
      granted := 1;
    END IF;
    IF p_extra > 0 AND granted = p_need THEN
      spare := least(p_per_minute / 2 - (greatest(m_total, m_next) + granted),
                     p_per_second / 2 - (greatest(s_total, s_next) + granted));
      left_fraction := bucket_left_us::double precision * s_per_second / 1000000;
      extra := least(p_extra::bigint, greatest(0, floor(spare * left_fraction)))::integer;
      granted := granted + extra;
    END IF;
    IF granted > 0 THEN
      slot := m_now % m_slots + 1;
      m_counts[slot] := m_counts[slot] + granted;
      m_total := m_total + granted;
      slot := s_now % s_slots + 1;
      s_counts[slot] := s_counts[slot] + granted;
      s_total := s_total + granted;
      m_next := m_next + granted;
      s_next := s_next + granted;
    END IF;
  END IF;
  IF granted > 0 OR p_return_n > 0 THEN
    UPDATE rate_limit_windows w
       SET minute_bucket = m_now, minute_counts = m_counts, minute_total = m_total,
           second_bucket = s_now, second_counts = s_counts, second_total = s_total,
           ahead_bucket = a_bucket, ahead_count = a_count
     WHERE w.team_id = p_team AND w.api_key_id = p_key;
  END IF;

  IF NOT p_ahead AND granted < p_need THEN
    IF a_count = 0 THEN
      retry_after_ms := greatest(1, ceil(1000 * (greatest(
          rate_limit_room_from(m_counts, m_total, m_now, p_per_minute)::double precision,
          rate_limit_room_from(s_counts, s_total, s_now, p_per_second)::double precision
              / s_per_second) - t_now)));
    ELSE
      -- Refused now, the request passes at the first later bucket whose
      -- windows have room: the rings as they will be in the next bucket,
      -- with what is leased ahead in it.
      s_ring := s_counts;
      s_ring[(s_now + 1) % s_slots + 1] := a_count;
      m_ring := m_counts;
      IF crosses THEN
        m_ring[(m_now + 1) % m_slots + 1] := a_count;
      ELSE
        m_ring[m_now % m_slots + 1] := m_ring[m_now % m_slots + 1] + a_count;
      END IF;
      retry_after_ms := greatest(1, ceil(1000 * (greatest(
          rate_limit_room_from(m_ring, m_next, (s_now + 1) / s_per_second,
                               p_per_minute)::double precision,
          rate_limit_room_from(s_ring, s_next, s_now + 1, p_per_second)::double precision
              / s_per_second) - t_now)));
    END IF;
  ELSE
    retry_after_ms := 0;
  END IF;
  remaining := greatest(0, least(p_per_minute - greatest(m_total, m_next),
                                 p_per_second - greatest(s_total, s_next)));
  reset_unix := ceil(t_now);
  FOR i IN 0 .. m_slots - 1 LOOP
    IF m_counts[(m_now - i) % m_slots + 1] > 0 THEN
      reset_unix := m_now - i + m_slots;
      EXIT;
    END IF;
  END LOOP;
  IF a_count > 0 THEN
    reset_unix := greatest(reset_unix, (s_now + 1) / s_per_second + m_slots);
  END IF;
  IF p_ahead THEN
    minute_bucket := (s_now + 1) / s_per_second;
    second_bucket := s_now + 1;
  ELSE
    minute_bucket := m_now;
    second_bucket := s_now;
  END IF;
END
$$;

-- Migration 020's lease (the previous release's): the same, nothing ahead.
CREATE OR REPLACE FUNCTION rate_limit_lease(p_team text, p_key text, p_per_minute integer,
                                            p_per_second integer, p_need integer,
                                            p_extra integer, p_return_n integer,
                                            p_return_minute_bucket bigint,
                                            p_return_second_bucket bigint,
                                            p_now double precision,
                                            OUT granted integer, OUT remaining integer,
                                            OUT reset_unix bigint, OUT retry_after_ms bigint,
                                            OUT minute_bucket bigint, OUT second_bucket bigint,
                                            OUT bucket_left_us bigint)
LANGUAGE sql AS $$
  SELECT * FROM rate_limit_lease(p_team, p_key, p_per_minute, p_per_second, p_need, p_extra,
                                 p_return_n, p_return_minute_bucket, p_return_second_bucket,
                                 p_now, false)
$$;

-- Migration 008's take (behind both rate_limit_take calls): a lease of the
-- request alone, which decides, counts and answers as the take did.
CREATE OR REPLACE FUNCTION rate_limit_take_at(p_team text, p_key text, p_per_minute integer,
                                              p_per_second integer,
                                              p_now double precision,
                                              OUT allowed boolean, OUT remaining integer,
                                              OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE sql AS $$
  SELECT l.granted = 1, l.remaining, l.reset_unix, l.retry_after_ms
    FROM rate_limit_lease(p_team, p_key, p_per_minute, p_per_second, 1, 0, 0, 0, 0, p_now,
                          false) l
$$;

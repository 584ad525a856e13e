-- Rate-limit leases ahead (issue 18): a lease in the second half of its
-- 50 ms bucket may also take requests of the next bucket, so that a key in
-- demand makes about one round trip per bucket and its calls find requests
-- waiting at the boundary instead of a round trip. A replica uses them only
-- within the next bucket: from when it has the answer plus the time the
-- database said was left (never earlier than the boundary by the
-- database's clock) to when it sent the call plus that time plus 50 ms
-- (never later than the next boundary). So, as with migration 020, every
-- request is used in the bucket it is counted in.
--
-- The requests ahead are counted apart (ahead_bucket, ahead_count) until
-- the ring reaches their bucket, then in its slot. Meanwhile every grant
-- keeps both windows within the limit: the one ending with the current
-- bucket, and the one ending with the next, which holds the requests ahead.
-- In the minute ring they count at once, in the current second's bucket:
-- none are taken ahead across a whole second, where that would be early.
--
-- Expand-only: two columns with constant defaults (no rewrite), and the
-- previous release's functions keep their signatures and results but now
-- call this one, so its replicas see and keep the requests ahead.
ALTER TABLE rate_limit_windows
  ADD COLUMN ahead_bucket bigint NOT NULL DEFAULT 0,
  ADD COLUMN ahead_count integer NOT NULL DEFAULT 0;

-- rate_limit_lease (migration 020) with `p_ahead`: requests wanted for the
-- next bucket besides, granted only in the second half of the current one
-- (earlier, a lease of the current bucket serves its remaining calls), not
-- across a second, and only from the room above half of each limit the
-- grants before them leave, of the minute's at most a twentieth: they count
-- in the minute at once but serve only the next bucket, and a burst of a
-- key with a small minute limit, spread over replicas, is refused elsewhere
-- meanwhile (such a key gets none). Returns what rate_limit_lease does, and
-- `ahead_granted`, counted in second bucket `second_bucket + 1` and minute
-- bucket `minute_bucket`. A return naming the bucket ahead gives back into
-- it, counted apart or in the ring.
CREATE FUNCTION rate_limit_lease_ahead(p_team text, p_key text, p_per_minute integer,
                                       p_per_second integer, p_need integer, p_extra integer,
                                       p_ahead integer, p_return_n integer,
                                       p_return_minute_bucket bigint,
                                       p_return_second_bucket bigint, p_now double precision,
                                       OUT granted integer, OUT ahead_granted integer,
                                       OUT remaining integer, OUT reset_unix bigint,
                                       OUT retry_after_ms bigint, OUT minute_bucket bigint,
                                       OUT second_bucket bigint, OUT bucket_left_us bigint)
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
  -- The window that ends with the next bucket: the current one without its
  -- oldest bucket, with the requests ahead.
  s_next integer;
  next_counts integer[];
  t_now double precision;
  m_now bigint;
  s_now bigint;
  slot integer;
  back integer;
  spare bigint;
  left_fraction double precision;
  extra integer;
BEGIN
  IF p_need NOT IN (0, 1) OR p_extra < 0 OR p_ahead < 0 OR p_return_n < 0 THEN
    RAISE EXCEPTION 'rate_limit_lease: need must be 0 or 1, extra, ahead and return_n not negative'
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
  -- The rings move on as in rate_limit_take_at, never backwards.
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
  -- The ring has reached the requests ahead: into their slot (emptied by the
  -- move) while it still holds it.
  IF a_count > 0 AND a_bucket <= s_now THEN
    IF s_now - a_bucket < s_slots THEN
      slot := a_bucket % s_slots + 1;
      s_counts[slot] := s_counts[slot] + a_count;
      s_total := s_total + a_count;
    END IF;
    a_count := 0;
  END IF;

  -- Give back as rate_limit_lease does; requests ahead not yet reached by
  -- the ring come off their own count.
  IF p_return_n > 0 THEN
    IF p_return_minute_bucket <= m_now AND m_now - p_return_minute_bucket < m_slots THEN
      slot := p_return_minute_bucket % m_slots + 1;
      back := least(p_return_n, m_counts[slot]);
      m_counts[slot] := m_counts[slot] - back;
      m_total := m_total - back;
    END IF;
    IF a_count > 0 AND p_return_second_bucket = a_bucket THEN
      a_count := a_count - least(p_return_n, a_count);
    ELSIF p_return_second_bucket <= s_now AND s_now - p_return_second_bucket < s_slots THEN
      slot := p_return_second_bucket % s_slots + 1;
      back := least(p_return_n, s_counts[slot]);
      s_counts[slot] := s_counts[slot] - back;
      s_total := s_total - back;
    END IF;
  END IF;

  -- The oldest bucket of the current window is in the slot the next one
  -- takes.
  s_next := s_total - s_counts[(s_now + 1) % s_slots + 1] + a_count;
  granted := 0;
  IF p_need = 1 AND m_total < p_per_minute AND greatest(s_total, s_next) < p_per_second THEN
    granted := 1;
  END IF;
  -- The time left in the current 50 ms bucket; s_now is ahead of the clock
  -- only after a clock step back, and then counts as a whole bucket.
  bucket_left_us := least(1000000 / s_per_second,
                          greatest(0, floor(1000000 * ((s_now + 1)::double precision / s_per_second
                                                       - t_now))))::bigint;
  IF p_extra > 0 AND granted = p_need THEN
    spare := least(p_per_minute / 2 - (m_total + granted),
                   p_per_second / 2 - (greatest(s_total, s_next) + granted));
    left_fraction := bucket_left_us::double precision * s_per_second / 1000000;
    extra := least(p_extra::bigint, greatest(0, floor(spare * left_fraction)))::integer;
    granted := granted + extra;
  END IF;
  -- The current bucket's grants count in both windows.
  s_total := s_total + granted;
  s_next := s_next + granted;
  ahead_granted := 0;
  IF p_ahead > 0 AND granted >= p_need AND 2 * bucket_left_us < 1000000 / s_per_second
                               AND (s_now + 1) / s_per_second <= m_now THEN
    spare := least((p_per_minute / 2 - (m_total + granted)) / 20, p_per_second / 2 - s_next);
    ahead_granted := least(p_ahead::bigint, greatest(0, spare))::integer;
  END IF;
  IF granted > 0 OR ahead_granted > 0 THEN
    slot := m_now % m_slots + 1;
    m_counts[slot] := m_counts[slot] + granted + ahead_granted;
    m_total := m_total + granted + ahead_granted;
  END IF;
  IF granted > 0 THEN
    slot := s_now % s_slots + 1;
    s_counts[slot] := s_counts[slot] + granted;
  END IF;
  IF ahead_granted > 0 THEN
    a_bucket := s_now + 1;
    a_count := a_count + ahead_granted;
    s_next := s_next + ahead_granted;
  END IF;
  IF granted > 0 OR ahead_granted > 0 OR p_return_n > 0 THEN
    UPDATE rate_limit_windows w
       SET minute_bucket = m_now, minute_counts = m_counts, minute_total = m_total,
           second_bucket = s_now, second_counts = s_counts, second_total = s_total,
           ahead_bucket = a_bucket, ahead_count = a_count
     WHERE w.team_id = p_team AND w.api_key_id = p_key;
  END IF;

  IF granted < p_need THEN
    -- From the next bucket on only the window that holds the requests
    -- ahead counts: the ring as it will be there.
    next_counts := s_counts;
    next_counts[(s_now + 1) % s_slots + 1] := a_count;
    retry_after_ms := greatest(1, ceil(1000 * (greatest(
        rate_limit_room_from(m_counts, m_total, m_now, p_per_minute)::double precision,
        (CASE WHEN greatest(s_total, s_next) < p_per_second THEN s_now
              ELSE rate_limit_room_from(next_counts, s_next, s_now + 1, p_per_second)
         END)::double precision / s_per_second) - t_now)));
  ELSE
    retry_after_ms := 0;
  END IF;
  remaining := greatest(0, least(p_per_minute - m_total,
                                 p_per_second - greatest(s_total, s_next)));
  reset_unix := ceil(t_now);
  FOR i IN 0 .. m_slots - 1 LOOP
    IF m_counts[(m_now - i) % m_slots + 1] > 0 THEN
      reset_unix := m_now - i + m_slots;
      EXIT;
    END IF;
  END LOOP;
  minute_bucket := m_now;
  second_bucket := s_now;
END
$$;

-- The previous releases' calls, unchanged in what they take and return,
-- through the function that sees the requests ahead.
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
  SELECT l.granted, l.remaining, l.reset_unix, l.retry_after_ms, l.minute_bucket,
         l.second_bucket, l.bucket_left_us
    FROM rate_limit_lease_ahead(p_team, p_key, p_per_minute, p_per_second, p_need, p_extra, 0,
                                p_return_n, p_return_minute_bucket, p_return_second_bucket,
                                p_now) l
$$;

CREATE OR REPLACE FUNCTION rate_limit_take_at(p_team text, p_key text, p_per_minute integer,
                                              p_per_second integer, p_now double precision,
                                              OUT allowed boolean, OUT remaining integer,
                                              OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE sql AS $$
  SELECT l.granted = 1, l.remaining, l.reset_unix, l.retry_after_ms
    FROM rate_limit_lease_ahead(p_team, p_key, p_per_minute, p_per_second, 1, 0, 0, 0, 0, 0,
                                p_now) l
$$;

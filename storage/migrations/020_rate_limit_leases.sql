-- Rate-limit leases (issue 18): a replica takes several of a key's requests
-- in one round trip and admits calls against them from memory, instead of
-- one rate_limit_take per call.
--
-- The windows are migration 008's: a lease takes from the same rings,
-- counting its requests in the current 1 s (minute) and 50 ms (second)
-- buckets. A replica uses leased requests only until the end of that 50 ms
-- bucket (measured from before it sent the call, so never later by the
-- database's clock): every request is used in the bucket it is counted in,
-- as with rate_limit_take, and no window ever holds more than the limit.
--
-- Expand-only: rate_limit_take is unchanged, so replicas of the previous
-- release share the same budget. No new table.

-- One call, one row lock, per lease: gives back `p_return_n` unused
-- requests of this replica's previous lease into the buckets they were
-- counted in (p_return_minute_bucket, p_return_second_bucket) while those
-- buckets still count in their window (older ones have left it: nothing to
-- give back); then grants `p_need` (0 or 1: a call waiting now) when both
-- limits allow it, plus up to `p_extra` speculative requests, only from the
-- room above half of each limit (the other half stays for other replicas and
-- the previous release's takes) and scaled by the fraction of the 50 ms
-- bucket left (a lease late in its bucket has little time to use them).
-- `p_now` (unix seconds) is for tests; NULL reads the clock after the lock.
--
-- Returns how many were granted (the need first), the requests that would
-- pass right now after them, when the minute allowance is whole again (unix
-- seconds), when a refused need would pass, the buckets the grant is counted
-- in (to give back later) and the microseconds left in the 50 ms one.
CREATE FUNCTION rate_limit_lease(p_team text, p_key text, p_per_minute integer,
                                 p_per_second integer, p_need integer, p_extra integer,
                                 p_return_n integer, p_return_minute_bucket bigint,
                                 p_return_second_bucket bigint, p_now double precision,
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
  t_now double precision;
  m_now bigint;
  s_now bigint;
  slot integer;
  back integer;
  spare bigint;
  left_fraction double precision;
  extra integer;
BEGIN
  IF p_need NOT IN (0, 1) OR p_extra < 0 OR p_return_n < 0 THEN
    RAISE EXCEPTION 'rate_limit_lease: need must be 0 or 1, extra and return_n not negative'
      USING ERRCODE = '22023';
  END IF;
  SELECT w.minute_bucket, w.minute_counts, w.minute_total, w.second_bucket, w.second_counts,
         w.second_total
    INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total
    FROM rate_limit_windows w WHERE w.team_id = p_team AND w.api_key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_windows
      VALUES (p_team, p_key, 0, array_fill(0, ARRAY[m_slots]), 0, 0,
              array_fill(0, ARRAY[s_slots]), 0)
      ON CONFLICT (team_id, api_key_id) DO NOTHING;
    SELECT w.minute_bucket, w.minute_counts, w.minute_total, w.second_bucket, w.second_counts,
           w.second_total
      INTO m_bucket, m_counts, m_total, s_bucket, s_counts, s_total
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

  -- Give back: a bucket still in its ring holds exactly its own count, which
  -- included these requests; never below zero (a ring emptied meanwhile).
  IF p_return_n > 0 THEN
    IF p_return_minute_bucket <= m_now AND m_now - p_return_minute_bucket < m_slots THEN
      slot := p_return_minute_bucket % m_slots + 1;
      back := least(p_return_n, m_counts[slot]);
      m_counts[slot] := m_counts[slot] - back;
      m_total := m_total - back;
    END IF;
    IF p_return_second_bucket <= s_now AND s_now - p_return_second_bucket < s_slots THEN
      slot := p_return_second_bucket % s_slots + 1;
      back := least(p_return_n, s_counts[slot]);
      s_counts[slot] := s_counts[slot] - back;
      s_total := s_total - back;
    END IF;
  END IF;

  granted := 0;
  IF p_need = 1 AND m_total < p_per_minute AND s_total < p_per_second THEN
    granted := 1;
  END IF;
  -- The time left in the current 50 ms bucket; s_now is ahead of the clock
  -- only after a clock step back, and then counts as a whole bucket.
  bucket_left_us := least(1000000 / s_per_second,
                          greatest(0, floor(1000000 * ((s_now + 1)::double precision / s_per_second
                                                       - t_now))))::bigint;
  IF p_extra > 0 AND granted = p_need THEN
    spare := least(p_per_minute / 2 - (m_total + granted),
                   p_per_second / 2 - (s_total + granted));
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
  END IF;
  IF granted > 0 OR p_return_n > 0 THEN
    UPDATE rate_limit_windows w
       SET minute_bucket = m_now, minute_counts = m_counts, minute_total = m_total,
           second_bucket = s_now, second_counts = s_counts, second_total = s_total
     WHERE w.team_id = p_team AND w.api_key_id = p_key;
  END IF;

  IF granted < p_need THEN
    retry_after_ms := greatest(1, ceil(1000 * (greatest(
        rate_limit_room_from(m_counts, m_total, m_now, p_per_minute)::double precision,
        rate_limit_room_from(s_counts, s_total, s_now, p_per_second)::double precision
            / s_per_second) - t_now)));
  ELSE
    retry_after_ms := 0;
  END IF;
  remaining := greatest(0, least(p_per_minute - m_total, p_per_second - s_total));
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

-- Per-API-key rate limits (issue 7): a per-minute limit and a per-second
-- burst, enforced across replicas by GCRA over one row per key.

-- Per-key overrides; NULL takes the server's configured default.
ALTER TABLE api_keys
  ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
  ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second > 0);

-- The theoretical arrival time (TAT) of each limit, in unix seconds: the
-- request is allowed when the TAT after it stays within one period of now.
-- Seconds as float8 rather than intervals, whose microsecond resolution
-- made the step of a high limit zero (a division by zero). float8 near
-- 1.7e9 s resolves ~0.24 us: a step below that (over ~8M/s or ~5e8/min)
-- rounds away and the key is in effect unlimited, as such a limit means. UNLOGGED: writes
-- skip the WAL, so the commit after each request waits for no disk flush; a
-- crash of PostgreSQL empties the table, which forgives at most one period.
-- fillfactor leaves room for HOT updates: the row is rewritten per request.
CREATE UNLOGGED TABLE rate_limit_buckets (
  api_key_id text PRIMARY KEY,
  minute_tat double precision NOT NULL,
  second_tat double precision NOT NULL
) WITH (fillfactor = 50);

-- Takes one request from both limits of a key, atomically: the row lock
-- serialises a key's requests across every replica, and the database clock
-- is the one every replica shares. Returns whether it was allowed, the
-- requests left right now (the smaller of the two limits' room), when the
-- minute limit is whole again (unix seconds), and, when refused, how long
-- until a retry would pass.
CREATE FUNCTION rate_limit_take(p_key text, p_per_minute integer, p_per_second integer,
                                OUT allowed boolean, OUT remaining integer,
                                OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
  minute_step constant double precision := 60.0 / p_per_minute;
  second_step constant double precision := 1.0 / p_per_second;
  t_now double precision;
  minute_tat_before double precision;
  second_tat_before double precision;
  minute_tat_after double precision;
  second_tat_after double precision;
BEGIN
  SELECT b.minute_tat, b.second_tat INTO minute_tat_before, second_tat_before
    FROM rate_limit_buckets b WHERE b.api_key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_buckets VALUES (p_key, 0, 0) ON CONFLICT (api_key_id) DO NOTHING;
    SELECT b.minute_tat, b.second_tat INTO minute_tat_before, second_tat_before
      FROM rate_limit_buckets b WHERE b.api_key_id = p_key FOR UPDATE;
  END IF;
  -- Read after the lock: time spent queueing behind the key's other requests
  -- must not count against this one.
  t_now := extract(epoch FROM clock_timestamp())::double precision;
  minute_tat_before := greatest(minute_tat_before, t_now);
  second_tat_before := greatest(second_tat_before, t_now);
  minute_tat_after := minute_tat_before + minute_step;
  second_tat_after := second_tat_before + second_step;
  allowed := minute_tat_after <= t_now + 60 AND second_tat_after <= t_now + 1;
  IF allowed THEN
    UPDATE rate_limit_buckets
       SET minute_tat = minute_tat_after, second_tat = second_tat_after
     WHERE api_key_id = p_key;
    retry_after_ms := 0;
  ELSE
    retry_after_ms := ceil(1000 * greatest(minute_tat_after - (t_now + 60),
                                           second_tat_after - (t_now + 1)));
    minute_tat_after := minute_tat_before;
    second_tat_after := second_tat_before;
  END IF;
  remaining := least(
      p_per_minute, floor((t_now + 60 - minute_tat_after) / minute_step),
      p_per_second, floor((t_now + 1 - second_tat_after) / second_step));
  reset_unix := ceil(minute_tat_after);
END
$$;

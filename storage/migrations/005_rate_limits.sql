-- Per-API-key rate limits (issue 7): a per-minute limit and a per-second
-- burst, enforced across replicas by GCRA over one row per key.

-- Per-key overrides; NULL takes the server's configured default.
ALTER TABLE api_keys
  ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
  ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second > 0);

-- The theoretical arrival time (TAT) of each limit: the request is allowed
-- when the TAT after it stays within one period of now. UNLOGGED: writes skip
-- the WAL, so the commit after each request waits for no disk flush; a crash
-- of PostgreSQL empties the table, which forgives at most one period's usage.
-- fillfactor leaves room for HOT updates: the row is rewritten per request.
CREATE UNLOGGED TABLE rate_limit_buckets (
  api_key_id text PRIMARY KEY,
  minute_tat timestamptz NOT NULL,
  second_tat timestamptz NOT NULL
) WITH (fillfactor = 50);

-- Takes one request from both limits of a key, atomically: the row lock
-- serialises a key's requests across every replica. Returns whether it was
-- allowed, the requests left right now (the smaller of the two limits' room),
-- when the minute limit is whole again (unix seconds), and, when refused,
-- how long until a retry would pass.
CREATE FUNCTION rate_limit_take(p_key text, p_per_minute integer, p_per_second integer,
                                OUT allowed boolean, OUT remaining integer,
                                OUT reset_unix bigint, OUT retry_after_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
  minute_step constant interval := interval '1 minute' / p_per_minute;
  second_step constant interval := interval '1 second' / p_per_second;
  t_now  timestamptz;
  minute_tat_before timestamptz;
  second_tat_before timestamptz;
  minute_tat_after  timestamptz;
  second_tat_after  timestamptz;
BEGIN
  SELECT b.minute_tat, b.second_tat INTO minute_tat_before, second_tat_before
    FROM rate_limit_buckets b WHERE b.api_key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_buckets VALUES (p_key, '-infinity', '-infinity')
      ON CONFLICT (api_key_id) DO NOTHING;
    SELECT b.minute_tat, b.second_tat INTO minute_tat_before, second_tat_before
      FROM rate_limit_buckets b WHERE b.api_key_id = p_key FOR UPDATE;
  END IF;
  -- Read after the lock: time spent queueing behind the key's other requests
  -- must not count against this one.
  t_now := clock_timestamp();
  minute_tat_before := greatest(minute_tat_before, t_now);
  second_tat_before := greatest(second_tat_before, t_now);
  minute_tat_after := minute_tat_before + minute_step;
  second_tat_after := second_tat_before + second_step;
  allowed := minute_tat_after <= t_now + interval '1 minute'
         AND second_tat_after <= t_now + interval '1 second';
  IF allowed THEN
    UPDATE rate_limit_buckets
       SET minute_tat = minute_tat_after, second_tat = second_tat_after
     WHERE api_key_id = p_key;
    retry_after_ms := 0;
  ELSE
    retry_after_ms := ceil(1000 * extract(epoch FROM greatest(
        minute_tat_after - (t_now + interval '1 minute'),
        second_tat_after - (t_now + interval '1 second'))));
    minute_tat_after := minute_tat_before;
    second_tat_after := second_tat_before;
  END IF;
  remaining := least(
      floor(extract(epoch FROM t_now + interval '1 minute' - minute_tat_after)
            / extract(epoch FROM minute_step)),
      floor(extract(epoch FROM t_now + interval '1 second' - second_tat_after)
            / extract(epoch FROM second_step)));
  reset_unix := ceil(extract(epoch FROM minute_tat_after));
END
$$;

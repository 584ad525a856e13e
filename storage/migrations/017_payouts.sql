-- Issue 16: the commission lifecycle after creation (the hold-period
-- scheduler) and payouts (docs/MONEY.md). Expand-only: new tables, a new
-- nullable column, new indexes, a trigger that only stamps the new column;
-- the previous release reads none of them (and its status changes are
-- stamped too).

-- When a commission last became ready_for_payment: payouts of a period take
-- what was ready before the period began. NULL (rows from before this
-- release) counts as long ago. Stamped by a trigger, so every writer (the
-- scheduler, PUT /v1/commissions, conversions, the previous release) agrees.
ALTER TABLE commissions ADD COLUMN ready_for_payment_at timestamptz;

CREATE FUNCTION commissions_stamp_ready_for_payment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'ready_for_payment'
     AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'ready_for_payment') THEN
    NEW.ready_for_payment_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER commissions_ready_for_payment_at
  BEFORE INSERT OR UPDATE OF status ON commissions
  FOR EACH ROW EXECUTE FUNCTION commissions_stamp_ready_for_payment();

-- The end of a commission's hold period. A day of hold is 24 hours (UTC has
-- no daylight saving), so the sum does not depend on the session's time
-- zone and may be IMMUTABLE (timestamptz + interval is only STABLE because
-- a '1 day' interval would), which lets the due scan use an index.
CREATE OR REPLACE FUNCTION commission_hold_ends_at(created timestamptz, hold_days integer)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT created + hold_days * interval '24 hours'
$$;
-- The scheduler's due scan (every team at once: a plain index).
CREATE INDEX IF NOT EXISTS commissions_hold_due
  ON commissions (commission_hold_ends_at(created_at, hold_period_days))
  WHERE status = 'pending';
-- Payout generation: an affiliate's ready commissions per currency.
CREATE INDEX IF NOT EXISTS commissions_team_ready_for_payment
  ON commissions (team_id, affiliate_id, commission_currency)
  WHERE status = 'ready_for_payment';

-- The last invoice number a team's payouts took: one row per team, locked
-- by the generator that takes the next one, so numbers are 1, 2, 3, ...
-- without gaps or duplicates however many replicas generate at once.
CREATE TABLE payout_invoice_counters (
  team_id     text NOT NULL REFERENCES teams (id),
  last_number integer NOT NULL CHECK (last_number > 0),
  PRIMARY KEY (team_id)
);

CREATE TABLE payouts (
  team_id           text NOT NULL REFERENCES teams (id),
  id                text NOT NULL,
  affiliate_id      text NOT NULL REFERENCES affiliates (id),
  program_id        text NOT NULL,
  invoice_number    integer NOT NULL CHECK (invoice_number > 0),
  amount            numeric(18, 2) NOT NULL CHECK (amount > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  -- NULL: the affiliate's payout_method is shown.
  payment_method    text,
  payment_reference text,
  processed_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX payouts_invoice_number_per_team ON payouts (team_id, invoice_number);
CREATE INDEX payouts_team_created ON payouts (team_id, created_at, id);
CREATE INDEX payouts_team_affiliate ON payouts (team_id, affiliate_id, created_at);

-- A payout's lines: a commission it pays (amount = the commission amount)
-- or a clawback it nets (amount = minus the clawback). The commission's
-- figures are copied as they were when the payout was made. No foreign key
-- to commissions: a commission released by a failed payout may later be
-- deleted, and the failed payout keeps its record.
CREATE TABLE payout_transactions (
  team_id               text NOT NULL REFERENCES teams (id),
  id                    text NOT NULL,
  payout_id             text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('commission', 'clawback')),
  commission_id         text NOT NULL,
  clawback_id           text,
  amount                numeric(18, 2) NOT NULL,
  commission_amount     numeric(18, 2) NOT NULL,
  sale_amount           numeric(18, 2) NOT NULL,
  commission_created_at timestamptz NOT NULL,
  -- Set when the payout failed or was cancelled: the commission (or the
  -- clawback) is free for the next payout.
  released_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id),
  FOREIGN KEY (team_id, payout_id) REFERENCES payouts (team_id, id),
  CHECK ((kind = 'clawback') = (clawback_id IS NOT NULL)),
  CHECK ((kind = 'commission') = (amount >= 0))
);
-- A commission (and a clawback) is in at most one live payout, however
-- generators race.
CREATE UNIQUE INDEX payout_transactions_one_live_per_commission
  ON payout_transactions (team_id, commission_id)
  WHERE kind = 'commission' AND released_at IS NULL;
CREATE UNIQUE INDEX payout_transactions_one_live_per_clawback
  ON payout_transactions (team_id, clawback_id)
  WHERE kind = 'clawback' AND released_at IS NULL;
CREATE INDEX payout_transactions_payout ON payout_transactions (team_id, payout_id, created_at, id);

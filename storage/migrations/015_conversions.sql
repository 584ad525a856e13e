-- Issue 16: sales conversions (POST /v1/conversions) and their refunds.
-- Expand-only: new nullable columns or columns with defaults on commissions
-- (the previous release reads and writes them as before), and new tables
-- with team_id first in every key.

-- What a conversion records beside the commission it is (earning_type
-- 'sale'). original_commission_amount is the commission as computed; a
-- refund recomputes commission_amount from it (never from a reduced amount,
-- so partial refunds do not compound their rounding). refunded_amount is the
-- part of sale_amount refunded so far.
ALTER TABLE commissions
  ADD COLUMN matched_incentive_id       text,
  ADD COLUMN external_event_id          text CHECK (length(external_event_id) BETWEEN 1 AND 255),
  ADD COLUMN source_event_id            text,
  ADD COLUMN product_ids                text[] NOT NULL DEFAULT '{}',
  ADD COLUMN price_ids                  text[] NOT NULL DEFAULT '{}',
  ADD COLUMN billing_interval           text CHECK (billing_interval IN ('monthly', 'yearly')),
  ADD COLUMN is_subscription            boolean NOT NULL DEFAULT false,
  ADD COLUMN metadata                   jsonb,
  ADD COLUMN coupon_code                text,
  ADD COLUMN original_commission_amount numeric(18, 2),
  ADD COLUMN refunded_amount            numeric(18, 2) NOT NULL DEFAULT 0
                                        CHECK (refunded_amount >= 0);

-- The idempotency key: one conversion per external_event_id in a team,
-- however many calls race (the losers answer the winner's row).
CREATE UNIQUE INDEX IF NOT EXISTS commissions_external_event_per_team
  ON commissions (team_id, external_event_id) WHERE external_event_id IS NOT NULL;

-- Attribution by customer_id (external_user_id has 011's index).
CREATE INDEX IF NOT EXISTS referrals_team_customer ON referrals (team_id, customer_id)
  WHERE customer_id IS NOT NULL;

-- One row per refund of a conversion (POST /v1/conversions/{id}/refund).
-- external_event_id makes a refund idempotent; NULL ones never collide.
-- commission_after / clawback_amount say what the refund did to the
-- commission: reduced it (unpaid) or clawed the difference back (paid).
CREATE TABLE conversion_refunds (
  team_id           text NOT NULL REFERENCES teams (id),
  id                text NOT NULL,
  commission_id     text NOT NULL REFERENCES commissions (id) ON DELETE CASCADE,
  external_event_id text CHECK (length(external_event_id) BETWEEN 1 AND 255),
  amount            numeric(18, 2) NOT NULL CHECK (amount > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason            text,
  commission_after  numeric(18, 2) NOT NULL,
  clawback_amount   numeric(18, 2) NOT NULL DEFAULT 0 CHECK (clawback_amount >= 0),
  refunded_at       timestamptz NOT NULL DEFAULT now(),
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id),
  UNIQUE (team_id, external_event_id)
);
CREATE INDEX conversion_refunds_commission ON conversion_refunds (team_id, commission_id);

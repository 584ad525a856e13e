-- Referrals and commissions in the SDK's shapes (issue 15). Expand-only: the
-- previous release ignores the new columns (it still shows a deleted referral
-- until it is replaced, and reads a new commission status as unknown).

-- A deleted referral stays as a tombstone: kept commissions still point at it,
-- and its click (whose id it carries) stays used.
ALTER TABLE referrals ADD COLUMN deleted_at timestamptz;
CREATE INDEX IF NOT EXISTS referrals_team_external_user ON referrals (team_id, external_user_id)
  WHERE external_user_id IS NOT NULL;

ALTER TABLE commissions
  ADD COLUMN sales_status text NOT NULL DEFAULT 'complete'
    CHECK (sales_status IN ('open', 'complete', 'trialing', 'failed', 'refunded',
                            'partial_refunded')),
  ADD COLUMN payment_intent_id text,
  ADD COLUMN invoice_id text;

-- The SDK's statuses; only widened, so every row and the old release's writes
-- still pass. NOT VALID: every existing row passed the narrower check, so
-- scanning the table (under the migration's lock) would prove nothing.
ALTER TABLE commissions DROP CONSTRAINT commissions_status_check;
ALTER TABLE commissions ADD CONSTRAINT commissions_status_check
  CHECK (status IN ('pending', 'pending_manual_approval', 'ready_for_payment',
                    'processing_payout', 'paid', 'declined', 'refunded', 'dispute')) NOT VALID;

-- One commission per payment intent in a program, however creates race
-- (POST /v1/commissions answers the first).
CREATE UNIQUE INDEX IF NOT EXISTS commissions_payment_intent_per_program
  ON commissions (team_id, program_id, payment_intent_id) WHERE payment_intent_id IS NOT NULL;
-- A referral's commissions: stats, and declining them when it is deleted.
CREATE INDEX IF NOT EXISTS commissions_team_referral ON commissions (team_id, referral_id);

-- Issue 18: the duplicate-payout check ("has this customer already earned a
-- commission in the program?") walked every earlier referral of the
-- customer's email or external id and probed its commissions, so its cost
-- grew with the referrals of one email, which anyone can make through the
-- pixel: a batch holding such a signup could take seconds. Each referral now
-- says whether it has a commission that is not declined, kept by a trigger on
-- commissions (so every writer, the previous release's included, keeps it),
-- and partial indexes over the flagged referrals answer the check with one
-- probe per key. Expand-only: a defaulted column, a trigger and indexes; the
-- previous release reads none of them.
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS has_paid_commission boolean NOT NULL DEFAULT false;

-- The referral's flag, recounted: locks the referral row first, so that the
-- recounts of one referral (by any transaction) take turns, and counts in a
-- statement of its own, whose snapshot is taken once the lock is granted: it
-- sees the commissions of every transaction that recounted before. (A count
-- without the lock, or in the lock's statement, could miss a concurrent
-- commission and leave the flag wrong for good.)
CREATE OR REPLACE FUNCTION referrals_recount_paid_flag(p_team_id text, p_referral_id text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  paid boolean;
BEGIN
  PERFORM 1 FROM referrals WHERE team_id = p_team_id AND id = p_referral_id FOR NO KEY UPDATE;
  SELECT EXISTS (
    SELECT 1 FROM commissions c
    WHERE c.team_id = p_team_id AND c.referral_id = p_referral_id AND c.status <> 'declined')
  INTO paid;
  UPDATE referrals SET has_paid_commission = paid
  WHERE team_id = p_team_id AND id = p_referral_id AND has_paid_commission IS DISTINCT FROM paid;
END
$$;

-- Recounts the referrals a commission change may affect: an insert or a
-- delete of one not declined, a decline or its undoing, a move to another
-- referral (both). AFTER: the change is in place, and a referral inserted by
-- the same statement is visible.
CREATE OR REPLACE FUNCTION referrals_flag_paid_commission() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'declined' THEN
      PERFORM referrals_recount_paid_flag(NEW.team_id, NEW.referral_id);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'declined' THEN
      PERFORM referrals_recount_paid_flag(OLD.team_id, OLD.referral_id);
    END IF;
  ELSIF OLD.referral_id IS DISTINCT FROM NEW.referral_id
        OR (OLD.status = 'declined') <> (NEW.status = 'declined') THEN
    PERFORM referrals_recount_paid_flag(NEW.team_id, NEW.referral_id);
    IF OLD.referral_id IS DISTINCT FROM NEW.referral_id THEN
      PERFORM referrals_recount_paid_flag(OLD.team_id, OLD.referral_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS commissions_flag_paid_referral ON commissions;
CREATE TRIGGER commissions_flag_paid_referral
  AFTER INSERT OR DELETE OR UPDATE OF status, referral_id ON commissions
  FOR EACH ROW EXECUTE FUNCTION referrals_flag_paid_commission();

-- After the trigger, in the same transaction: no commission is missed.
UPDATE referrals r SET has_paid_commission = true
WHERE NOT r.has_paid_commission AND EXISTS (
  SELECT 1 FROM commissions c
  WHERE c.team_id = r.team_id AND c.referral_id = r.id AND c.status <> 'declined');

CREATE INDEX IF NOT EXISTS referrals_paid_by_email
  ON referrals (team_id, program_id, lower(email)) WHERE has_paid_commission;
CREATE INDEX IF NOT EXISTS referrals_paid_by_external_user
  ON referrals (team_id, program_id, external_user_id) WHERE has_paid_commission;
ANALYZE referrals;

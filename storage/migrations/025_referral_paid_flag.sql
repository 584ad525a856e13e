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

-- A commission that is not declined flags its referral; one that is declined
-- or deleted (or moved to another referral) clears the flag unless another
-- commission of the referral still holds it. AFTER: the commission row is in
-- place, and a referral inserted by the same statement is visible.
CREATE OR REPLACE FUNCTION referrals_flag_paid_commission() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' AND NEW.status <> 'declined'
     AND (TG_OP = 'INSERT' OR OLD.status = 'declined' OR OLD.referral_id <> NEW.referral_id) THEN
    UPDATE referrals SET has_paid_commission = true
    WHERE team_id = NEW.team_id AND id = NEW.referral_id AND NOT has_paid_commission;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.status <> 'declined'
     AND (TG_OP = 'DELETE' OR NEW.status = 'declined' OR OLD.referral_id <> NEW.referral_id) THEN
    UPDATE referrals r SET has_paid_commission = EXISTS (
      SELECT 1 FROM commissions c
      WHERE c.team_id = r.team_id AND c.referral_id = r.id AND c.status <> 'declined')
    WHERE r.team_id = OLD.team_id AND r.id = OLD.referral_id;
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

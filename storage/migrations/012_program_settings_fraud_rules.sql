-- Issue 15: the SDK 1.0.1 shapes of /v1/program, its tracking settings and
-- its fraud rules, and the facts behind four more fraud checks. Expand-only:
-- new columns with defaults (or nullable) and new indexes; the previous
-- release reads none of them. IF NOT EXISTS: other changes of the same issue
-- may add a program column of the same name.

-- The program's own settings. plan_* is the operator's (the API reads it).
ALTER TABLE programs
  ADD COLUMN IF NOT EXISTS slug text,
  ADD COLUMN IF NOT EXISTS tagline text,
  ADD COLUMN IF NOT EXISTS category text,
  ADD COLUMN IF NOT EXISTS description text,
  ADD COLUMN IF NOT EXISTS website_url text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS logo_url text,
  ADD COLUMN IF NOT EXISTS access_mode text NOT NULL DEFAULT 'public'
    CHECK (access_mode IN ('public', 'private', 'invite')),
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'active',
  ADD COLUMN IF NOT EXISTS affiliate_links_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS plan_tier text
    CHECK (plan_tier IN ('launch', 'growth', 'elite', 'enterprise')),
  ADD COLUMN IF NOT EXISTS plan_postbacks boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS plan_groups_limit integer CHECK (plan_groups_limit >= 0),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();

-- track_email / track_name stay the columns of email_tracking_enabled /
-- name_tracking_enabled (renaming them would break the previous release).
-- enabled_referral_parameters: besides the default one, which is always
-- enabled; tracking_template: NULL or a JSON array of {key, value, type}.
ALTER TABLE program_tracking_settings
  ADD COLUMN IF NOT EXISTS enabled_referral_parameters text[] NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS postbacks_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS append_affonso_id_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS tracking_template_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS tracking_template jsonb
    CHECK (tracking_template IS NULL OR jsonb_typeof(tracking_template) = 'array');

-- The four further checks. A NULL list is a null config: the check has
-- nothing to match.
ALTER TABLE program_fraud_rules
  ADD COLUMN IF NOT EXISTS cross_program_ban_mode text NOT NULL DEFAULT 'detect'
    CHECK (cross_program_ban_mode IN ('off', 'detect', 'block')),
  ADD COLUMN IF NOT EXISTS duplicate_payout_mode text NOT NULL DEFAULT 'detect'
    CHECK (duplicate_payout_mode IN ('off', 'detect', 'block')),
  ADD COLUMN IF NOT EXISTS banned_referral_mode text NOT NULL DEFAULT 'detect'
    CHECK (banned_referral_mode IN ('off', 'detect', 'block')),
  ADD COLUMN IF NOT EXISTS blocked_country_mode text NOT NULL DEFAULT 'detect'
    CHECK (blocked_country_mode IN ('off', 'detect', 'block')),
  ADD COLUMN IF NOT EXISTS banned_referral_domains text[],
  ADD COLUMN IF NOT EXISTS blocked_countries text[];

-- The visitor's country (ISO 3166-1 alpha-2), when the caller knows it.
ALTER TABLE clicks ADD COLUMN IF NOT EXISTS country text;

-- The facts of a signup look these up once per conversion (conversion_sql.h):
-- the same customer's commissioned referrals in the program, and the
-- affiliate's rejections in the team's other programs.
-- (migration 001's referrals_program_email is (program_id, lower(email)):
-- this one is keyed by team first.)
CREATE INDEX IF NOT EXISTS referrals_team_program_email
  ON referrals (team_id, program_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS referrals_program_external_user
  ON referrals (team_id, program_id, external_user_id) WHERE external_user_id IS NOT NULL;
-- (commissions by referral: 011's commissions_team_referral.)
CREATE INDEX IF NOT EXISTS affiliates_team_rejected_email
  ON affiliates (team_id, lower(email)) WHERE partnership_status = 'rejected';

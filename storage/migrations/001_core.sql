-- Tenancy: every business row carries team_id so that every query filters by
-- the caller's team with an index, and another team's row is simply absent.
CREATE TABLE teams (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a key is stored; key_prefix helps operators recognise it.
CREATE TABLE api_keys (
  id         text PRIMARY KEY,
  team_id    text NOT NULL REFERENCES teams (id),
  key_hash   text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX api_keys_team ON api_keys (team_id);

CREATE TABLE programs (
  id         text PRIMARY KEY,
  team_id    text NOT NULL REFERENCES teams (id),
  name       text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, team_id)
);
CREATE UNIQUE INDEX programs_one_default_per_team ON programs (team_id) WHERE is_default;

CREATE TABLE program_tracking_settings (
  program_id                 text PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
  track_email                boolean NOT NULL DEFAULT true,
  track_name                 boolean NOT NULL DEFAULT true,
  default_referral_parameter text NOT NULL DEFAULT 'via',
  updated_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE affiliate_groups (
  id          text PRIMARY KEY,
  team_id     text NOT NULL REFERENCES teams (id),
  program_id  text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  is_default  boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE,
  UNIQUE (id, program_id)
);
-- Each program has exactly one default group.
CREATE UNIQUE INDEX affiliate_groups_one_default ON affiliate_groups (program_id) WHERE is_default;

-- Deleting an affiliate is a soft delete: its clicks and referrals keep
-- pointing at it, and its tracking id becomes free for reuse.
CREATE TABLE affiliates (
  id                 text PRIMARY KEY,
  team_id            text NOT NULL REFERENCES teams (id),
  program_id         text NOT NULL,
  group_id           text,
  name               text NOT NULL,
  email              text NOT NULL,
  tracking_id        text NOT NULL,
  partnership_status text NOT NULL CHECK (partnership_status IN ('pending', 'approved', 'rejected')),
  external_user_id   text,
  metadata           jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz,
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id),
  FOREIGN KEY (group_id, program_id) REFERENCES affiliate_groups (id, program_id)
);
CREATE UNIQUE INDEX affiliates_tracking_id_per_program
  ON affiliates (program_id, tracking_id) WHERE deleted_at IS NULL;
CREATE INDEX affiliates_team_created ON affiliates (team_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE clicks (
  id           text PRIMARY KEY,
  team_id      text NOT NULL REFERENCES teams (id),
  program_id   text NOT NULL,
  affiliate_id text NOT NULL REFERENCES affiliates (id),
  tracking_id  text NOT NULL,
  sub1 text, sub2 text, sub3 text, sub4 text, sub5 text,
  referrer     text,
  ip           text,
  user_agent   text,
  utm_source   text, utm_medium text, utm_campaign text, utm_term text, utm_content text,
  gclid text, fbclid text, msclkid text, ttclid text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id)
);

-- A referral converted from a click takes the click's id, so the primary key
-- alone guarantees one referral per click however many conversions race.
CREATE TABLE referrals (
  id               text PRIMARY KEY,
  team_id          text NOT NULL REFERENCES teams (id),
  program_id       text NOT NULL,
  affiliate_id     text NOT NULL REFERENCES affiliates (id),
  click_id         text UNIQUE REFERENCES clicks (id),
  source           text NOT NULL CHECK (source IN ('click', 'direct')),
  email            text,
  external_user_id text,
  customer_id      text,
  subscription_id  text,
  status           text NOT NULL
                   CHECK (status IN ('lead', 'trialing', 'customer', 'active', 'canceled', 'rejected')),
  name             text,
  metadata         jsonb NOT NULL DEFAULT '{}',
  fraud_flags      jsonb NOT NULL DEFAULT '[]',
  created_at       timestamptz NOT NULL DEFAULT now(),
  converted_at     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id),
  CHECK (source <> 'click' OR click_id = id)
);
-- POST /v1/referrals answers 409 for an email already referred in the program.
CREATE UNIQUE INDEX referrals_direct_email_per_program
  ON referrals (program_id, lower(email)) WHERE source = 'direct' AND email IS NOT NULL;
CREATE INDEX referrals_program_email ON referrals (program_id, lower(email));
CREATE INDEX referrals_team_created ON referrals (team_id, created_at, id);
CREATE INDEX referrals_team_affiliate_created ON referrals (team_id, affiliate_id, created_at, id);

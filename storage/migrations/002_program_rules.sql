-- Program rules (issue 5): fraud checks, incentives, commission overrides,
-- lead commissions, and the outbox of events announcing conversions.

-- One row per program, created with the defaults on first read (or by the
-- first signup, which reads the defaults when the row is missing).
CREATE TABLE program_fraud_rules (
  program_id            text PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
  self_referral_mode    text NOT NULL DEFAULT 'detect' CHECK (self_referral_mode IN ('off', 'detect', 'block')),
  suspicious_email_mode text NOT NULL DEFAULT 'detect' CHECK (suspicious_email_mode IN ('off', 'detect', 'block')),
  paid_traffic_mode     text NOT NULL DEFAULT 'detect' CHECK (paid_traffic_mode IN ('off', 'detect', 'block')),
  -- Which click parameters and utm_medium values count as paid traffic.
  paid_click_params     text[] NOT NULL DEFAULT '{gclid,fbclid,msclkid,ttclid}',
  paid_utm_mediums      text[] NOT NULL DEFAULT '{cpc,ppc,paid,paidsocial,paid_social,paid-social,display,cpm,cpv,sem}',
  -- Domains never treated as disposable for this program (lower case).
  allowed_email_domains text[] NOT NULL DEFAULT '{}',
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE incentives (
  id               text PRIMARY KEY,
  team_id          text NOT NULL REFERENCES teams (id),
  program_id       text NOT NULL,
  group_id         text NOT NULL,
  name             text NOT NULL,
  type             text NOT NULL CHECK (type IN ('lead', 'sale')),
  amount           numeric(18, 2) NOT NULL CHECK (amount >= 0),
  is_percentage    boolean NOT NULL DEFAULT false,
  currency         text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  hold_period_days integer NOT NULL DEFAULT 30 CHECK (hold_period_days >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (group_id, program_id) REFERENCES affiliate_groups (id, program_id) ON DELETE CASCADE,
  -- Pay per lead is a fixed amount: there is no sale to take a share of.
  CHECK (type <> 'lead' OR NOT is_percentage)
);
CREATE INDEX incentives_group ON incentives (group_id, type);
CREATE INDEX incentives_team ON incentives (team_id);

-- An affiliate's own amount for one incentive of its program.
CREATE TABLE commission_overrides (
  id            text PRIMARY KEY,
  team_id       text NOT NULL REFERENCES teams (id),
  affiliate_id  text NOT NULL REFERENCES affiliates (id),
  incentive_id  text NOT NULL REFERENCES incentives (id) ON DELETE CASCADE,
  amount        numeric(18, 2) NOT NULL CHECK (amount >= 0),
  is_percentage boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (affiliate_id, incentive_id)
);

CREATE TABLE commissions (
  id                   text PRIMARY KEY,
  team_id              text NOT NULL REFERENCES teams (id),
  program_id           text NOT NULL,
  referral_id          text NOT NULL REFERENCES referrals (id),
  affiliate_id         text NOT NULL REFERENCES affiliates (id),
  incentive_id         text,
  commission_amount    numeric(18, 2) NOT NULL,
  commission_currency  text NOT NULL,
  sale_amount          numeric(18, 2),
  sale_amount_currency text,
  status               text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'ready_for_payment', 'paid', 'declined')),
  hold_period_days     integer NOT NULL DEFAULT 0,
  earning_type         text NOT NULL CHECK (earning_type IN ('lead', 'sale')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
-- Never two lead commissions for one referral, however calls race or retry.
CREATE UNIQUE INDEX commissions_one_lead_per_referral ON commissions (referral_id)
  WHERE earning_type = 'lead';
CREATE INDEX commissions_team_created ON commissions (team_id, created_at, id);

-- Events are written in the same transaction as the change they announce;
-- the webhook dispatcher (issue 6) delivers them from here.
CREATE TABLE outbox_events (
  id         text PRIMARY KEY,
  team_id    text NOT NULL REFERENCES teams (id),
  type       text NOT NULL,
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_events_created ON outbox_events (created_at, id);
-- One referral.lead per referral, one transaction.created per commission.
CREATE UNIQUE INDEX outbox_events_once ON outbox_events (type, (payload->'data'->>'referralId'))
  WHERE type = 'referral.lead';
CREATE UNIQUE INDEX outbox_events_once_per_commission
  ON outbox_events (type, (payload->'data'->>'transactionId'))
  WHERE type = 'transaction.created';

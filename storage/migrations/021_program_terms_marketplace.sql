-- Issue 19: a program's payment terms, restrictions and portal settings
-- (GET/PATCH /v1/program/payment-terms, /restrictions, /portal) and its
-- marketplace listing (GET /v1/marketplace). Expand-only: three new tables and
-- a column with a constant default (a catalogue change, no rewrite); the
-- previous release reads none of them, so its payout job keeps paying every
-- program on the defaults (docs/MONEY.md "Payouts") and it lists nothing.

-- Whether the team lists the program in the marketplace (PATCH /v1/program
-- marketplace_listed). Off by default: access_mode is 'public' for every
-- existing program, so it cannot be what publishes one.
ALTER TABLE programs ADD COLUMN IF NOT EXISTS marketplace_listed boolean NOT NULL DEFAULT false;
-- The marketplace's one cross-team read: listed programs, newest first (in
-- the order of its ORDER BY created_at DESC, id DESC).
CREATE INDEX IF NOT EXISTS programs_marketplace ON programs (created_at DESC, id DESC)
  WHERE marketplace_listed;

-- A program without a row has never set its terms: GET answers null and payouts
-- use storage/payout_terms.h's defaults, which are also these column defaults
-- (threshold 50.00, monthly). Amounts are numeric, written from exact decimal
-- text (common/money.h).
CREATE TABLE program_payment_terms (
  team_id               text NOT NULL REFERENCES teams (id),
  program_id            text NOT NULL,
  commission_type       text NOT NULL DEFAULT 'percentage'
    CHECK (commission_type IN ('fixed', 'percentage', 'credits')),
  commission_rate       numeric(18,2) NOT NULL DEFAULT 0 CHECK (commission_rate >= 0),
  commission_duration   text NOT NULL DEFAULT 'lifetime'
    CHECK (commission_duration IN ('lifetime', 'time_limited', 'payment_limited')),
  commissions_limit     integer CHECK (commissions_limit BETWEEN 1 AND 1200),
  commissions_hold_days integer CHECK (commissions_hold_days BETWEEN 0 AND 3650),
  payment_threshold     numeric(18,2) NOT NULL DEFAULT 50.00 CHECK (payment_threshold >= 0),
  payment_frequency     text NOT NULL DEFAULT 'monthly'
    CHECK (payment_frequency IN ('weekly', 'monthly')),
  payment_methods       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(payment_methods) <= 10),
  cookie_lifetime       integer NOT NULL DEFAULT 30 CHECK (cookie_lifetime BETWEEN 1 AND 3650),
  auto_payout           boolean NOT NULL DEFAULT false,
  invoice_rule          text NOT NULL DEFAULT 'none'
    CHECK (invoice_rule IN ('none', 'owner_provides', 'affiliate_provides', 'self_billing')),
  invoice_prefix        text,
  require_tax_forms     boolean NOT NULL DEFAULT false,
  owner_company_name    text,
  owner_address_line_1  text,
  owner_address_line_2  text,
  owner_city            text,
  owner_postal_code     text,
  owner_country         text,
  owner_vat_id          text,
  owner_vat_rate        numeric(5,2) CHECK (owner_vat_rate BETWEEN 0 AND 100),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE,
  CHECK (commission_type <> 'percentage' OR commission_rate <= 100)
);

-- The program's own statements of which promotion is allowed; stored as
-- given, enforced by nothing here.
CREATE TABLE program_restrictions (
  team_id                 text NOT NULL REFERENCES teams (id),
  program_id              text NOT NULL,
  websites                boolean NOT NULL DEFAULT false,
  social_marketing        boolean NOT NULL DEFAULT false,
  organic_social          boolean NOT NULL DEFAULT false,
  email_marketing         boolean NOT NULL DEFAULT false,
  mobile_traffic          boolean NOT NULL DEFAULT false,
  search_engine_marketing boolean NOT NULL DEFAULT false,
  organic_search          boolean NOT NULL DEFAULT false,
  rebrokering             boolean NOT NULL DEFAULT false,
  incent                  boolean NOT NULL DEFAULT false,
  brand_bidding           boolean NOT NULL DEFAULT false,
  additional_restrictions text CHECK (char_length(additional_restrictions) <= 5000),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE
);

-- How the affiliate portal looks. custom_texts: NULL or a JSON object (the
-- service bounds its keys and size, as for metadata).
CREATE TABLE program_portal_settings (
  team_id                 text NOT NULL REFERENCES teams (id),
  program_id              text NOT NULL,
  single_program_portal   boolean NOT NULL DEFAULT false,
  hide_branding           boolean NOT NULL DEFAULT false,
  hide_details            boolean NOT NULL DEFAULT false,
  primary_color           text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  secondary_color         text CHECK (secondary_color ~ '^#[0-9a-f]{6}$'),
  show_leaderboard        boolean NOT NULL DEFAULT false,
  terms_conditions_status boolean NOT NULL DEFAULT false,
  terms_conditions_value  text,
  privacy_policy_status   boolean NOT NULL DEFAULT false,
  privacy_policy_value    text,
  support_email_status    boolean NOT NULL DEFAULT false,
  support_email_value     text,
  custom_texts            jsonb CHECK (custom_texts IS NULL OR jsonb_typeof(custom_texts) = 'object'),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE
);

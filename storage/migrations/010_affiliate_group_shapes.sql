-- Issue 15: affiliates, groups and incentives carry every field of the SDK
-- 1.0.1 types. Expand-only: new nullable columns or columns with defaults, so
-- a replica of the previous release keeps reading and writing these tables.

-- source: how the affiliate joined ("api" for POST /v1/affiliates; NULL for
-- older rows). company_name, country_code and the payout method are stored
-- as given; payout_details is a JSON object of strings.
ALTER TABLE affiliates
  ADD COLUMN source               text,
  ADD COLUMN onboarding_completed boolean NOT NULL DEFAULT false,
  ADD COLUMN company_name         text,
  ADD COLUMN country_code         text,
  ADD COLUMN payout_method        text,
  ADD COLUMN payout_details       jsonb;

ALTER TABLE affiliate_groups
  ADD COLUMN custom_website_url text;

-- The incentive terms the SDK shows. They are stored for the sale commissions
-- of a later release; today's lead commissions read only type and amount.
ALTER TABLE incentives
  ADD COLUMN apply_to            text NOT NULL DEFAULT 'all_products'
                                 CHECK (apply_to IN ('all_products', 'specific_products')),
  ADD COLUMN product_ids         text[] NOT NULL DEFAULT '{}',
  ADD COLUMN approval_type       text NOT NULL DEFAULT 'auto'
                                 CHECK (approval_type IN ('auto', 'manual')),
  ADD COLUMN incentive_length    text NOT NULL DEFAULT 'lifetime'
                                 CHECK (incentive_length IN ('lifetime', 'time_limited', 'payment_limited')),
  ADD COLUMN length_value        integer CHECK (length_value > 0),
  ADD COLUMN variable_commission boolean NOT NULL DEFAULT false,
  ADD COLUMN variable_config     jsonb;

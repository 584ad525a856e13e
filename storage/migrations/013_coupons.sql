-- Issue 16: an affiliate's promo codes (/v1/coupons). A sale that carries a
-- code is attributed to the code's affiliate even without a click. New
-- table: team_id leads its keys (docs/OPERATIONS.md, distribution by team).
-- Codes are compared case-insensitively, as customers type them.
CREATE TABLE coupons (
  team_id            text NOT NULL REFERENCES teams (id),
  id                 text NOT NULL,
  program_id         text NOT NULL,
  affiliate_id       text NOT NULL REFERENCES affiliates (id),
  code               text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
  discount_type      text NOT NULL CHECK (discount_type IN ('percentage', 'fixed')),
  discount_value     numeric(18, 2) NOT NULL CHECK (discount_value >= 0),
  currency           text CHECK (currency ~ '^[A-Z]{3}$'),
  duration           text NOT NULL CHECK (duration IN ('forever', 'once', 'repeating')),
  duration_in_months integer CHECK (duration_in_months > 0),
  product_ids        text[] NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz,
  PRIMARY KEY (team_id, id),
  CHECK (discount_type <> 'percentage' OR discount_value <= 100),
  CHECK ((duration = 'repeating') = (duration_in_months IS NOT NULL))
);
CREATE UNIQUE INDEX coupons_code_per_program ON coupons (team_id, program_id, upper(code));
CREATE INDEX coupons_affiliate ON coupons (team_id, affiliate_id);

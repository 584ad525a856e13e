-- Issue 16: what a refund takes back from a commission already paid. The
-- affiliate owes it; the next payout of the affiliate in that currency nets
-- it (payout_id set then, in the payout's transaction). A refund of a
-- commission not yet paid reduces the commission itself instead.
CREATE TABLE commission_clawbacks (
  team_id       text NOT NULL REFERENCES teams (id),
  id            text NOT NULL,
  commission_id text NOT NULL REFERENCES commissions (id),
  refund_id     text,
  program_id    text NOT NULL,
  affiliate_id  text NOT NULL REFERENCES affiliates (id),
  amount        numeric(18, 2) NOT NULL CHECK (amount > 0),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  payout_id     text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id)
);
CREATE INDEX commission_clawbacks_owed ON commission_clawbacks (team_id, affiliate_id, currency)
  WHERE payout_id IS NULL;

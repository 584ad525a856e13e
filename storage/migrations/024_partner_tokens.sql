-- Partner access (issue 19): the short-lived tokens of
-- POST /v1/affiliates/{id}/portal-token and POST /v1/embed/token. The token
-- itself is never stored: it is signed by the server (HMAC-SHA256, a key
-- from the environment) and names this row, which says whether it was
-- revoked (docs/BEHAVIOUR.md "Partner access"). A token lives at most a
-- day; issuing one for an affiliate deletes that affiliate's rows expired
-- over an hour ago, so each affiliate keeps a bounded number of rows.
--
-- Expand-only: a new table the previous release never reads.
CREATE TABLE partner_tokens (
  team_id      text NOT NULL REFERENCES teams (id),
  id           text NOT NULL,
  purpose      text NOT NULL CHECK (purpose IN ('portal', 'embed')),
  affiliate_id text NOT NULL REFERENCES affiliates (id),
  program_id   text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  -- affiliate_deleted, affiliate_rejected, operator
  revoked_reason text,
  PRIMARY KEY (team_id, id),
  -- The program is the team's; the affiliate's team is checked by the
  -- insert (affiliates has no (id, team_id) key to reference).
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id)
);
-- Revoking every token of an affiliate (delete, rejection, ./dev ctl), and
-- deleting its expired rows when a token is issued (revoked ones included,
-- hence not partial).
CREATE INDEX partner_tokens_affiliate ON partner_tokens (team_id, affiliate_id, expires_at);

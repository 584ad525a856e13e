-- Request signing (docs/MONEY.md "Request signing"): the secret a program's
-- signed requests (POST /v1/conversions, refunds, events, sources) are
-- HMAC'd with, per program and optional source ('' = the program's own).
-- Expand only: a new table the previous release never reads.
--
-- Each secret is held like a webhook secret (storage/webhook_secrets.h):
-- sealed under SECRET_ENCRYPTION_KEYS when keys are configured, else in
-- plaintext; exactly one form per slot. Rotation keeps the replaced secret
-- in previous_* until previous_valid_until (the grace period), after which
-- only the current one is accepted.
CREATE TABLE signing_secrets (
  team_id                text NOT NULL REFERENCES teams (id),
  program_id             text NOT NULL,
  source                 text NOT NULL DEFAULT ''
    CHECK (source IN ('', 'segment', 'custom', 'segment_webhook')),
  secret                 text,
  secret_sealed          text,
  previous_secret        text,
  previous_secret_sealed text,
  previous_valid_until   timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id, source),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE,
  CONSTRAINT signing_secrets_secret_kept
    CHECK ((secret IS NULL) <> (secret_sealed IS NULL)),
  CONSTRAINT signing_secrets_previous_whole
    CHECK ((previous_secret IS NULL AND previous_secret_sealed IS NULL) =
           (previous_valid_until IS NULL))
);

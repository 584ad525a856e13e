-- Webhook signing secrets encrypted at rest (AES-256-GCM under the
-- operator's SECRET_ENCRYPTION_KEYS, common/secret_box.h). Expand only: the
-- previous release keeps reading and writing `secret`; this release writes
-- `secret_sealed` instead when keys are configured, and `ctl secrets encrypt`
-- moves the remaining plaintext over. One of the two is always there.
ALTER TABLE webhook_endpoints ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE webhook_endpoints ADD COLUMN secret_sealed text;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_secret_kept
  CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);

-- Issue 17: the public (browser) half of tracking, POST /v1/track and the
-- pixel's signup (docs/BEHAVIOUR.md "The browser half"). Expand-only: new
-- nullable columns, a defaulted column, a new table and an index; the
-- previous release reads none of them and keeps writing clicks as before
-- (its clicks have no visitor_hash, so de-duplication never matches them).

-- visitor_hash: the salted SHA-256 of the visitor (PgTrackingStore), what a
-- public click is de-duplicated by; NULL for POST /v1/clicks' clicks.
-- has_consent: whether the visitor consented to its IP and user agent being
-- kept (false: ip and user_agent stay NULL until an upgrade); NULL for
-- POST /v1/clicks' clicks, whose caller answers for its own visitors.
-- ad_click_ids: the ad platforms' click ids that have no column of their own
-- (gbraid, wbraid, li_fat_id, ...), a JSON object of those present, NULL when
-- none.
-- Nullable, without defaults: a catalogue change, no rewrite. The CHECK is
-- NOT VALID so that adding it scans nothing under the table's lock (every
-- existing row is NULL there, and new rows are checked).
ALTER TABLE clicks
  ADD COLUMN IF NOT EXISTS visitor_hash text,
  ADD COLUMN IF NOT EXISTS has_consent boolean,
  ADD COLUMN IF NOT EXISTS ad_click_ids jsonb;
ALTER TABLE clicks ADD CONSTRAINT clicks_ad_click_ids_object
  CHECK (ad_click_ids IS NULL OR jsonb_typeof(ad_click_ids) = 'object') NOT VALID;

-- The de-duplication lookup: the visitor's newest click on one affiliate.
-- Built in the migration's transaction, so writes to clicks wait for one scan
-- of it: on a large clicks table build it beforehand, by hand, with CREATE
-- INDEX CONCURRENTLY and this exact definition (docs/OPERATIONS.md
-- "Migrations"); IF NOT EXISTS then makes this a no-op.
CREATE INDEX IF NOT EXISTS clicks_visitor_dedup
  ON clicks (team_id, program_id, affiliate_id, visitor_hash, created_at)
  WHERE visitor_hash IS NOT NULL;

-- Per program, so that one program's visitor hashes say nothing about
-- another's (the same visitor hashes differently in each), and a hash cannot
-- be reversed by trying every IPv4 address without the salt. Never shown by
-- the API.
ALTER TABLE programs
  ADD COLUMN IF NOT EXISTS visitor_hash_salt text NOT NULL DEFAULT gen_random_uuid()::text;

-- The pixel's settings (GET/PATCH /v1/program/pixel). A program without a
-- row has the defaults: any site, a window of an hour, no external user id
-- from the browser.
CREATE TABLE program_pixel_settings (
  team_id                    text NOT NULL REFERENCES teams (id),
  program_id                 text NOT NULL,
  allowed_domains            text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(allowed_domains) <= 50),
  click_dedup_window_seconds integer NOT NULL DEFAULT 3600
    CHECK (click_dedup_window_seconds BETWEEN 0 AND 2592000),
  -- Whether POST /v1/track/signup may set the lead's external user id
  -- (sales are attributed by it); off, only the backend sets one.
  browser_external_user_id   boolean NOT NULL DEFAULT false,
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE
);

-- Server-to-server events (POST /v1/events) and their sources (POST
-- /v1/sources/...). Expand-only: a new table with team_id first in every key;
-- the previous release never reads it.

-- One row per recorded event. action is NULL while the event is being
-- recorded (reserved, its effect not yet applied), then what it did.
-- external_event_id (Segment's messageId) makes an event idempotent per
-- (team, source); NULL ones never collide. payload is the request as
-- received (at most 32 KiB, checked by the service).
CREATE TABLE source_events (
  team_id           text NOT NULL REFERENCES teams (id),
  id                text NOT NULL,
  source            text NOT NULL CHECK (source IN ('api', 'segment', 'custom', 'segment_webhook')),
  external_event_id text CHECK (length(external_event_id) BETWEEN 1 AND 255),
  event_name        text NOT NULL,
  event_type        text NOT NULL,
  referral_id       text NOT NULL,
  program_id        text NOT NULL,
  payload           jsonb NOT NULL DEFAULT '{}',
  action            text,
  referral_status   text,
  transaction_id    text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  PRIMARY KEY (team_id, id)
);

CREATE UNIQUE INDEX source_events_external_event_per_source
  ON source_events (team_id, source, external_event_id) WHERE external_event_id IS NOT NULL;

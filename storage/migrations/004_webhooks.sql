-- Webhooks (issue 6): endpoints, one delivery per (event, endpoint) as the
-- unit of work, and every attempt recorded.

CREATE TABLE webhook_endpoints (
  id              text PRIMARY KEY,
  team_id         text NOT NULL REFERENCES teams (id),
  url             text NOT NULL,
  events          text[] NOT NULL CHECK (cardinality(events) > 0),
  description     text NOT NULL DEFAULT '',
  enabled         boolean NOT NULL DEFAULT true,
  -- whsec_<base64>: kept to sign deliveries; shown to the user only once.
  secret          text NOT NULL,
  -- Why the service turned it off ('gone' after a 410, 'failing' after days
  -- of failures); NULL when enabled or turned off by the user.
  disabled_reason text,
  -- First failure of the current run of failures; cleared by a success.
  failing_since   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz
);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id, created_at, id)
  WHERE deleted_at IS NULL;

-- Events not yet fanned out to endpoints (the dispatcher's queue).
ALTER TABLE outbox_events ADD COLUMN dispatched_at timestamptz;
CREATE INDEX outbox_events_undispatched ON outbox_events (created_at, id)
  WHERE dispatched_at IS NULL;

CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  team_id         text NOT NULL REFERENCES teams (id),
  event_id        text NOT NULL REFERENCES outbox_events (id),
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id),
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- A dispatcher owns the delivery until then; a crashed one's lease runs
  -- out and another sends it (at-least-once).
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
  id               text PRIMARY KEY,
  team_id          text NOT NULL REFERENCES teams (id),
  delivery_id      text NOT NULL REFERENCES webhook_deliveries (id),
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id),
  event_id         text NOT NULL,
  attempt          integer NOT NULL,
  status_code      integer NOT NULL DEFAULT 0,  -- 0: no response (see error)
  error            text NOT NULL DEFAULT '',
  duration_ms      integer NOT NULL DEFAULT 0,
  response_excerpt text NOT NULL DEFAULT '',
  next_retry_at    timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, created_at, id);

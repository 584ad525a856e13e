-- The webhook claim counts each endpoint's sends in flight (pending with a
-- lease): a small partial index, so that count never walks the backlog.
-- lease_until is cleared when an attempt is recorded.
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id)
  WHERE status = 'pending' AND lease_until IS NOT NULL;

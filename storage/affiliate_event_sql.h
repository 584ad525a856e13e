#ifndef AFFONSO_STORAGE_AFFILIATE_EVENT_SQL_H_
#define AFFONSO_STORAGE_AFFILIATE_EVENT_SQL_H_

#include "storage/conversion_sql.h"
#include "storage/pg_values.h"

// The affiliate select list and the payload of every affiliate.* event, for
// every statement that changes an affiliate (storage/pg_affiliate_store.cc,
// and onboarding's completion in storage/pg_onboarding_store.cc). Macros, so
// statements built from them stay literals.

// An affiliate without a stored group belongs to its program's default group;
// reads and the group filter both answer with that effective group.
#define AFFONSO_AFFILIATE_EFFECTIVE_GROUP                        \
  "COALESCE(a.group_id, (SELECT dg.id FROM affiliate_groups dg " \
  "WHERE dg.program_id = a.program_id AND dg.is_default))"

// The select list every affiliate query returns, under the names
// ReadAffiliate reads; `a` is the affiliates table's alias.
#define AFFONSO_AFFILIATE_COLUMNS \
  "a.id, a.name, a.email, a.tracking_id, a.source, a.partnership_status, "                \
  "a.onboarding_completed, a.program_id, " AFFONSO_AFFILIATE_EFFECTIVE_GROUP              \
  " AS group_id, a.external_user_id, "                                                    \
  "a.metadata::text AS metadata, " AFFONSO_SQL_MICROS("a.created_at") " AS created_at, " \
  "a.payout_method, a.payout_details::text AS payout_details"

// What an affiliate.* event's RETURNING adds to AFFONSO_AFFILIATE_COLUMNS
// for AFFONSO_AFFILIATE_EVENT_PAYLOAD.
#define AFFONSO_AFFILIATE_EVENT_COLUMNS \
  "a.team_id AS owner_team, a.metadata AS metadata_json, a.created_at AS created_ts"

// The payload of every affiliate.* event. `x` is a relation with
// AFFONSO_AFFILIATE_COLUMNS and AFFONSO_AFFILIATE_EVENT_COLUMNS; `event_id`
// and `type` are SQL text expressions. The data is the Affiliate as
// GET /v1/affiliates/{id} answers it without expand, under the camelCase keys
// of the other events' data (referral.lead's affiliateId and
// affiliateProgramId): never the payout method or its details.
// clang-format off
#define AFFONSO_AFFILIATE_EVENT_PAYLOAD(event_id, type, x)                                     \
  "jsonb_build_object('id', " event_id ", 'type', " type ", "                                 \
  "'createdAt', " AFFONSO_EVENT_CREATED_AT ", "                                               \
  "'data', jsonb_build_object('affiliateId', " x ".id, 'name', " x ".name, "                  \
  "'email', " x ".email, 'trackingId', " x ".tracking_id, 'source', " x ".source, "           \
  "'partnershipStatus', upper(" x ".partnership_status), "                                    \
  "'onboardingCompleted', " x ".onboarding_completed, "                                       \
  "'affiliateProgramId', " x ".program_id, 'groupId', " x ".group_id, "                       \
  "'externalUserId', " x ".external_user_id, 'metadata', " x ".metadata_json, "               \
  "'createdAt', to_char(" x ".created_ts AT TIME ZONE 'UTC', "                                \
  "  'YYYY-MM-DD\"T\"HH24\":\"MI\":\"SS.MS\"Z\"')))"
// clang-format on

#endif  // AFFONSO_STORAGE_AFFILIATE_EVENT_SQL_H_

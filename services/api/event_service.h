#ifndef AFFONSO_SERVICES_API_EVENT_SERVICE_H_
#define AFFONSO_SERVICES_API_EVENT_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "proto/affonso/v1/events.grpc.pb.h"
#include "services/api/conversion_recorder.h"
#include "services/call/request_signing.h"
#include "services/call/rpc_runner.h"
#include "storage/referral_store.h"
#include "storage/signup_store.h"
#include "storage/source_event_store.h"

namespace affonso::services {

// The recorded payload (the request's JSON) is refused above this.
inline constexpr size_t kMaxEventPayloadBytes = 32 * 1024;
// A reserved event whose effect is not stored after this long is taken over
// by a repeat (its first call died); before, a repeat is ABORTED (retry).
inline constexpr absl::Duration kEventTakeoverAfter = absl::Seconds(30);

// The Segment track call as an event (docs/MONEY.md, "Segment mapping").
// VALIDATION_ERROR for a call that is not a track call or has no messageId.
absl::StatusOr<affonso::v1::CreateEventRequest> EventFromSegment(
    const affonso::v1::SegmentTrackRequest& track);
// The custom source: the fields of POST /v1/events in a free-form body.
absl::StatusOr<affonso::v1::CreateEventRequest> EventFromCustomPayload(
    const google::protobuf::Struct& payload);
absl::StatusOr<affonso::v1::SegmentTrackRequest> SegmentFromPayload(
    const google::protobuf::Struct& payload);

// POST /v1/events, POST /v1/sources/segment/events and POST
// /v1/sources/{source}/events (docs/MONEY.md, "Events and sources"). A
// conversion goes through `conversions` (the conversion path, with the
// event's id as its source_event_id); a lead converts its click through
// `signups`; a trial moves a lead to trialing through `referrals` (so
// referral.updated is written); every event is recorded in `events`, once
// per (team, source, external_event_id). The request's signature is checked
// by `verifier` for its source ("" for /v1/events, "segment", "custom",
// "segment_webhook") once the program is known, before anything is written.
// Every pointer outlives the service.
class EventServiceImpl final : public affonso::v1::EventService::Service {
 public:
  EventServiceImpl(RpcRunner runner, storage::SourceEventStore* events,
                   ConversionRecorder* conversions, storage::SignupStore* signups,
                   storage::ReferralStore* referrals, RequestVerifier* verifier)
      : runner_(std::move(runner)),
        events_(events),
        conversions_(conversions),
        signups_(signups),
        referrals_(referrals),
        verifier_(verifier) {}

  grpc::Status CreateEvent(grpc::ServerContext* context,
                           const affonso::v1::CreateEventRequest* request,
                           affonso::v1::EventResult* response) override;
  grpc::Status IngestSegmentEvent(grpc::ServerContext* context,
                                  const affonso::v1::SegmentTrackRequest* request,
                                  affonso::v1::EventResult* response) override;
  grpc::Status IngestSourceEvent(grpc::ServerContext* context,
                                 const affonso::v1::IngestSourceEventRequest* request,
                                 affonso::v1::EventResult* response) override;

  // The whole path for one event of `source` ("api", "segment", "custom",
  // "segment_webhook"); `payload` is the JSON recorded with it. The answer
  // says `replayed` (in the S2SEvent or the Conversion) for a repeat.
  absl::StatusOr<affonso::v1::EventResult> Ingest(absl::string_view team_id,
                                                  absl::string_view source,
                                                  const affonso::v1::CreateEventRequest& event,
                                                  const SignedRequest& signed_request,
                                                  const std::string& payload);

 private:
  // Applies a non-sale event to its referral: the action and the status.
  absl::StatusOr<std::pair<std::string, std::string>> Apply(
      absl::string_view team_id, const std::string& event_type, const Attribution& attribution,
      const affonso::v1::CreateEventRequest& event);

  RpcRunner runner_;
  storage::SourceEventStore* events_;
  ConversionRecorder* conversions_;
  storage::SignupStore* signups_;
  storage::ReferralStore* referrals_;
  RequestVerifier* verifier_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_EVENT_SERVICE_H_

#include "services/api/tracking_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/untrusted_text.h"
#include "common/wire_metadata.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "services/api/signup_service.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::TrackRequest;

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxShortLength = 255;  // tracking id, subs, utm, ad click ids

constexpr char kBrowserExternalUserIdOff[] =
    "email is required: this program takes external user ids only from its backend (POST "
    "/v1/signups) unless its pixel settings turn browser_external_user_id on";

// The attribution fields a landing query may fill, by the query parameter a
// landing URL carries them in (the field's name but for Snapchat's ScCid).
struct QueryField {
  const char* field;      // TrackRequest's
  const char* parameter;  // in the landing query
};
constexpr QueryField kQueryFields[] = {
    {"utm_source", "utm_source"},
    {"utm_medium", "utm_medium"},
    {"utm_campaign", "utm_campaign"},
    {"utm_term", "utm_term"},
    {"utm_content", "utm_content"},
    {"gclid", "gclid"},
    {"gbraid", "gbraid"},
    {"wbraid", "wbraid"},
    {"gad_source", "gad_source"},
    {"utm_agid", "utm_agid"},
    {"gad_campaignid", "gad_campaignid"},
    {"utm_adid", "utm_adid"},
    {"fbclid", "fbclid"},
    {"fbadid", "fbadid"},
    {"fbgid", "fbgid"},
    {"igshid", "igshid"},
    {"msclkid", "msclkid"},
    {"ttclid", "ttclid"},
    {"li_fat_id", "li_fat_id"},
    {"twclid", "twclid"},
    {"epik", "epik"},
    {"sc_cid", "ScCid"},
    {"rdt_cid", "rdt_cid"},
};

constexpr absl::string_view kBotMarkers[] = {
    "googlebot",
    "bingbot",
    "yandex",
    "baiduspider",
    "duckduckbot",
    "slurp",
    "facebookexternalhit",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "applebot",
    "ahrefs",
    "semrush",
    "mj12bot",
    "petalbot",
    "bot/",
    "crawler",
    "spider",
    "headlesschrome",
};

// kQueryFields with their descriptors, looked up once rather than per call.
struct AttributionField {
  const google::protobuf::FieldDescriptor* field;
  absl::string_view parameter;
};
const std::vector<AttributionField>& AttributionFields() {
  static const auto* const fields = [] {
    auto* found = new std::vector<AttributionField>();
    for (const QueryField& attribution : kQueryFields) {
      found->push_back(
          {TrackRequest::descriptor()->FindFieldByName(attribution.field), attribution.parameter});
    }
    return found;
  }();
  return *fields;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding; a '%' not followed by two hex
// digits stays as it is. false when the result is not text PostgreSQL and
// proto3 take as it is (invalid UTF-8, a control character).
bool DecodeComponent(absl::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && HexDigit(in[i + 1]) >= 0 &&
               HexDigit(in[i + 2]) >= 0) {
      out->push_back(static_cast<char>(HexDigit(in[i + 1]) * 16 + HexDigit(in[i + 2])));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  if (HasControlCharacter(*out)) return false;
  return SanitizeUntrustedText(*out, out->size()) == *out;
}

std::string Metadata(const grpc::ServerContextBase& context, absl::string_view key) {
  return MetadataValue(context.client_metadata(), key);
}

// A first-party check of the embedding page: the host of Origin, else of
// Referer. Neither is a server-side caller, which no browser rule binds.
absl::Status CheckPage(const grpc::ServerContextBase& context,
                       const storage::PublicProgram& program) {
  std::string page = Metadata(context, kOriginKey);
  if (page.empty()) page = Metadata(context, kRefererKey);
  if (page.empty() || program.allowed_domains.empty()) return absl::OkStatus();
  const std::string host = HostOf(page);
  if (host.empty() || !IsAllowedHost(program.allowed_domains, host)) {
    return OriginNotAllowedError(host);
  }
  return absl::OkStatus();
}

// The SDK's TrackingDiscount of a coupon.
affonso::v1::TrackingDiscount ToDiscount(const affonso::v1::Coupon& coupon) {
  affonso::v1::TrackingDiscount discount;
  discount.set_amount(coupon.discount_value());
  discount.set_type(coupon.discount_type() == affonso::v1::DISCOUNT_TYPE_FIXED ? "fixed"
                                                                               : "percentage");
  switch (coupon.duration()) {
    case affonso::v1::COUPON_DURATION_ONCE:
      discount.set_max_duration("once");
      break;
    case affonso::v1::COUPON_DURATION_REPEATING:
      discount.set_max_duration(absl::StrCat(coupon.duration_in_months(), " months"));
      break;
    default:  // forever: null
      break;
  }
  if (coupon.has_provider_coupon_id()) discount.set_coupon_id(coupon.provider_coupon_id());
  discount.set_promo_code(coupon.code());
  return discount;
}

// Answered 200: nothing recorded, and the page is told why.
absl::Status Ignored(affonso::v1::TrackingResult* response, absl::string_view why) {
  response->set_cid("");
  response->set_status("ignored");
  response->set_message(std::string(why));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTrack(const TrackRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("program_id", request.program_id()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("program_id", request.program_id(), kMaxIdLength));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("tracking_id", request.tracking_id(), kMaxShortLength));
  const std::pair<const char*, const std::string*> subs[] = {
      {"sub1", &request.sub1()}, {"sub2", &request.sub2()}, {"sub3", &request.sub3()},
      {"sub4", &request.sub4()}, {"sub5", &request.sub5()},
  };
  for (const auto& [field, value] : subs) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, *value, kMaxShortLength));
  }
  const google::protobuf::Reflection& reflection = *request.GetReflection();
  for (const AttributionField& attribution : AttributionFields()) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(attribution.field->name(),
                                           reflection.GetString(request, attribution.field),
                                           kMaxShortLength));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("referrer", request.referrer(), 2000));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("user_agent", request.user_agent(), 1000));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("landing_query", request.landing_query(), 4096));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("upgrade_click_id", request.upgrade_click_id(), kMaxIdLength));
  if (!request.upgrade_click_id().empty()) {
    if (request.has_has_consent() && !request.has_consent()) {
      return ValidationError("upgrade_click_id",
                             "upgrade_click_id attaches consent: send it with has_consent true");
    }
    return absl::OkStatus();
  }
  if (request.tracking_id().empty() && request.landing_query().empty()) {
    return ValidationError("tracking_id",
                           "tracking_id is required, or a landing_query to read it from");
  }
  return absl::OkStatus();
}

absl::Status ValidateBrowserSignup(const affonso::v1::BrowserSignupRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("program_id", request.program_id()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("program_id", request.program_id(), kMaxIdLength));
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("click_id", request.click_id()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("click_id", request.click_id(), kMaxIdLength));
  affonso::v1::RecordSignupRequest signup;
  signup.set_click_id(request.click_id());
  signup.set_email(request.email());
  signup.set_external_user_id(request.external_user_id());
  signup.set_name(request.name());
  return ValidateRecordSignup(signup);
}

absl::flat_hash_map<std::string, std::string> ParseLandingQuery(absl::string_view query) {
  absl::flat_hash_map<std::string, std::string> params;
  query = absl::StripPrefix(query, "?");
  query = query.substr(0, query.find('#'));
  std::string name, value;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    if (!DecodeComponent(pair.substr(0, equals), &name) || name.empty()) continue;
    if (!DecodeComponent(equals == absl::string_view::npos ? "" : pair.substr(equals + 1),
                         &value)) {
      continue;
    }
    params.emplace(name, value);  // the first occurrence stays
  }
  return params;
}

std::string HostOf(absl::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return "";
  absl::string_view authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority = authority.substr(at + 1);
  if (absl::StartsWith(authority, "[")) {
    // An IPv6 literal: never on an allowed list (hosts have no ':').
    return absl::AsciiStrToLower(authority.substr(0, authority.find(']') + 1));
  }
  authority = authority.substr(0, authority.find(':'));
  authority = absl::StripSuffix(authority, ".");
  return absl::AsciiStrToLower(authority);
}

bool IsAllowedHost(const std::vector<std::string>& allowed_domains, absl::string_view host) {
  if (allowed_domains.empty()) return true;
  for (absl::string_view allowed : allowed_domains) {
    if (absl::ConsumePrefix(&allowed, "*.")) {
      if (host == allowed || (host.size() > allowed.size() && absl::EndsWith(host, allowed) &&
                              host[host.size() - allowed.size() - 1] == '.')) {
        return true;
      }
    } else if (host == allowed) {
      return true;
    }
  }
  return false;
}

bool IsBotUserAgent(absl::string_view user_agent) {
  if (user_agent.empty()) return false;
  const std::string lower = absl::AsciiStrToLower(user_agent);
  for (absl::string_view marker : kBotMarkers) {
    if (absl::StrContains(lower, marker)) return true;
  }
  return false;
}

std::string VisitorHash(absl::string_view salt, absl::string_view team_id,
                        absl::string_view program_id, absl::string_view ip,
                        absl::string_view user_agent) {
  std::string input;
  for (absl::string_view part : {salt, team_id, program_id, ip, user_agent}) {
    absl::StrAppend(&input, part.size(), ":", part);
  }
  return Sha256Hex(input);
}

// ---- the program cache ----

PublicProgramCache::PublicProgramCache(absl::Duration ttl, size_t capacity,
                                       size_t not_found_capacity, std::function<absl::Time()> clock)
    : ttl_(ttl),
      clock_(std::move(clock)),
      found_(std::max<size_t>(1, capacity)),
      not_found_(std::max<size_t>(1, not_found_capacity)) {}

const absl::StatusOr<PublicProgramCache::Program>* PublicProgramCache::Lru::Find(
    absl::string_view program_id, absl::Time now) {
  auto found = index_.find(program_id);
  if (found == index_.end()) return nullptr;
  if (found->second->expires > now) {
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->resolved;
  }
  const auto expired = found->second;
  index_.erase(found);  // first: its key points into the entry
  entries_.erase(expired);
  return nullptr;
}

void PublicProgramCache::Lru::Add(absl::string_view program_id, absl::StatusOr<Program> resolved,
                                  absl::Time expires) {
  if (entries_.size() >= capacity_) {
    index_.erase(entries_.back().program_id);
    entries_.pop_back();
  }
  entries_.push_front(Entry{std::string(program_id), std::move(resolved), expires});
  index_.emplace(entries_.front().program_id, entries_.begin());
}

std::optional<absl::StatusOr<PublicProgramCache::Program>> PublicProgramCache::Find(
    absl::string_view program_id) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  if (const absl::StatusOr<Program>* hit = found_.Find(program_id, now)) return *hit;
  if (const absl::StatusOr<Program>* hit = not_found_.Find(program_id, now)) return *hit;
  return std::nullopt;
}

absl::StatusOr<PublicProgramCache::Program> PublicProgramCache::Resolve(
    storage::TrackingStore* store, absl::string_view program_id) {
  if (std::optional<absl::StatusOr<Program>> hit = Find(program_id)) return *std::move(hit);
  absl::StatusOr<Program> resolved;
  absl::StatusOr<storage::PublicProgram> looked_up = store->ResolveProgram(program_id);
  if (looked_up.ok()) {
    resolved = std::make_shared<const storage::PublicProgram>(*std::move(looked_up));
  } else {
    resolved = looked_up.status();
    if (!absl::IsNotFound(looked_up.status())) return resolved;  // not remembered
  }
  absl::MutexLock lock(&mu_);
  // A concurrent miss may have got there first.
  if (found_.Contains(program_id) || not_found_.Contains(program_id)) return resolved;
  (resolved.ok() ? found_ : not_found_).Add(program_id, resolved, clock_() + ttl_);
  return resolved;
}

// ---- the service ----

struct TrackingServiceImpl::TrackCall {
  grpc::CallbackServerContext* context;
  const TrackRequest* request;
  affonso::v1::TrackingResult* response;
  grpc::ServerUnaryReactor* reactor;
  CallScope scope;
  // The request with what the landing query filled in: the store reads it
  // until the click's batch answers.
  TrackRequest resolved;
};

TrackingServiceImpl::TrackingServiceImpl(RpcRunner runner, storage::TrackingStore* tracking,
                                         storage::SignupStore* signups,
                                         TrackingServiceOptions options)
    : runner_(std::move(runner)),
      tracking_(tracking),
      signups_(signups),
      options_(std::move(options)),
      programs_(options_.program_cache_ttl, options_.program_cache_size,
                options_.program_cache_not_found_size, options_.clock) {
  if (options_.registry != nullptr) {
    results_ = &options_.registry->AddCounter(
        "affonso_public_clicks_total",
        "POST /v1/track answers that were not errors, by result: tracked, duplicate, upgraded, "
        "ignored.",
        {"result"});
  }
}

void TrackingServiceImpl::Count(absl::string_view result) {
  if (results_ != nullptr) results_->WithLabels({result}).Increment();
}

absl::Status TrackingServiceImpl::AdmitPage(const grpc::ServerContextBase& context,
                                            const storage::PublicProgram& program) {
  // The page first: it is judged in memory, and a disallowed site's calls
  // must not spend the program's budget.
  AFFONSO_RETURN_IF_ERROR(CheckPage(context, program));
  if (options_.program_limiter != nullptr) {
    AFFONSO_RETURN_IF_ERROR(options_.program_limiter->Take(program.id, nullptr));
  }
  return absl::OkStatus();
}

absl::StatusOr<PublicProgramCache::Program> TrackingServiceImpl::Admit(
    const grpc::ServerContextBase& context, const std::string& program_id) {
  if (!LooksLikeId(program_id, "prg")) return NotFoundError("program");
  AFFONSO_ASSIGN_OR_RETURN(PublicProgramCache::Program program,
                           programs_.Resolve(tracking_, program_id));
  AFFONSO_RETURN_IF_ERROR(AdmitPage(context, *program));
  return program;
}

grpc::ServerUnaryReactor* TrackingServiceImpl::Track(grpc::CallbackServerContext* context,
                                                     const TrackRequest* request,
                                                     affonso::v1::TrackingResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Admission may finish on an admission thread; nothing here waits.
  runner_.BeginAsync(context, [this, context, request, response, reactor](CallScope scope) {
    StartTrack(std::make_shared<TrackCall>(
        TrackCall{context, request, response, reactor, std::move(scope), TrackRequest()}));
  });
  return reactor;
}

void TrackingServiceImpl::StartTrack(TrackCallPtr call) {
  const TrackRequest& request = *call->request;
  absl::Status invalid =
      call->scope.caller.ok() ? RpcRunner::CheckRequest(request) : call->scope.caller.status();
  if (invalid.ok()) invalid = ValidateTrack(request);
  if (invalid.ok() && !LooksLikeId(request.program_id(), "prg")) {
    invalid = NotFoundError("program");
  }
  if (!invalid.ok()) return FinishTrack(call, invalid);
  if (std::optional<absl::StatusOr<PublicProgramCache::Program>> cached =
          programs_.Find(request.program_id())) {
    return TrackForProgram(std::move(call), *std::move(cached), /*may_wait=*/false);
  }
  OffloadTrack(std::move(call), [this](TrackCallPtr call) {
    absl::StatusOr<PublicProgramCache::Program> program =
        programs_.Resolve(tracking_, call->request->program_id());
    TrackForProgram(std::move(call), std::move(program), /*may_wait=*/true);
  });
}

void TrackingServiceImpl::OffloadTrack(TrackCallPtr call,
                                       absl::AnyInvocable<void(TrackCallPtr) &&> step) {
  if (track_offloads_in_flight_.fetch_add(1) >= options_.max_track_offloads_in_flight) {
    track_offloads_in_flight_.fetch_sub(1);
    return FinishTrack(
        call, absl::UnavailableError("too many tracking lookups waiting for the database; retry"));
  }
  runner_.Offload([this, call = std::move(call), step = std::move(step)](bool queued) mutable {
    if (!queued) {
      FinishTrack(call, RpcRunner::OffloadRefused());
    } else if (call->context->IsCancelled()) {
      FinishTrack(call, absl::CancelledError("the client cancelled the call"));
    } else {
      std::move(step)(std::move(call));
    }
    // Once the step is done (a batch may still answer the call later).
    track_offloads_in_flight_.fetch_sub(1);
  });
}

void TrackingServiceImpl::TrackForProgram(TrackCallPtr call,
                                          absl::StatusOr<PublicProgramCache::Program> found,
                                          bool may_wait) {
  if (!found.ok()) return FinishTrack(call, found.status());
  const storage::PublicProgram& program = **found;
  const TrackRequest& request = *call->request;
  grpc::CallbackServerContext& context = *call->context;
  affonso::v1::TrackingResult* response = call->response;
  if (absl::Status refused = AdmitPage(context, program); !refused.ok()) {
    return FinishTrack(call, refused);
  }
  response->mutable_data();  // {discount: null, affiliateCoupons: []} when nothing is found
  response->set_append_affonso_id_enabled(program.append_affonso_id_enabled);

  const std::string user_agent =
      request.user_agent().empty() ? Metadata(context, kUserAgentKey) : request.user_agent();
  if (request.no_track()) {
    Count("ignored");
    return FinishTrack(
        call, Ignored(response, "the visitor asked not to be tracked: nothing was recorded"));
  }
  if (IsBotUserAgent(user_agent)) {
    Count("ignored");
    return FinishTrack(
        call, Ignored(response, "bots and crawlers are not tracked: nothing was recorded"));
  }

  storage::Visitor visitor;
  visitor.ip = runner_.ClientAddress(context);
  visitor.user_agent = user_agent;
  visitor.has_consent = !request.has_has_consent() || request.has_consent();
  visitor.hash =
      VisitorHash(program.visitor_hash_salt, program.team_id, program.id, visitor.ip, user_agent);

  if (!request.upgrade_click_id().empty()) {
    if (!LooksLikeId(request.upgrade_click_id(), "clk")) {
      return FinishTrack(call, NotFoundError("click"));
    }
    // A statement of its own: off the callback thread unless already off it.
    if (may_wait) return UpgradeClick(call, program, visitor);
    OffloadTrack(call, [this, found = *found, visitor = std::move(visitor)](TrackCallPtr call) {
      UpgradeClick(call, *found, visitor);
    });
    return;
  }

  TrackRequest& resolved = call->resolved;
  resolved = request;
  google::protobuf::Struct used;
  auto& used_fields = *used.mutable_fields();
  const absl::flat_hash_map<std::string, std::string> query =
      ParseLandingQuery(request.landing_query());
  auto usable = [&](absl::string_view parameter) -> const std::string* {
    auto found = query.find(parameter);
    if (found == query.end() || found->second.empty() || found->second.size() > kMaxShortLength) {
      return nullptr;
    }
    return &found->second;
  };
  if (resolved.tracking_id().empty()) {
    for (const std::string& parameter : program.referral_parameters) {
      if (const std::string* value = usable(parameter)) {
        resolved.set_tracking_id(*value);
        used_fields[parameter].set_string_value(*value);
        break;
      }
    }
    if (resolved.tracking_id().empty()) {
      Count("ignored");
      return FinishTrack(
          call,
          Ignored(response, "no referral parameter in the landing query: nothing was recorded"));
    }
  }
  const google::protobuf::Reflection& reflection = *resolved.GetReflection();
  for (const AttributionField& attribution : AttributionFields()) {
    const google::protobuf::FieldDescriptor* field = attribution.field;
    if (!reflection.GetString(resolved, field).empty()) continue;
    const std::string* value = usable(attribution.parameter);
    if (value == nullptr && attribution.parameter != field->name()) {
      value = usable(field->name());
    }
    if (value == nullptr) continue;
    reflection.SetString(&resolved, field, *value);
    used_fields[std::string(attribution.parameter)].set_string_value(*value);
  }
  if (!used_fields.empty()) response->mutable_resolved_query_params()->Swap(&used);
  tracking_->RecordClickAsync(program.team_id, program.id, &resolved, std::move(visitor),
                              program.click_dedup_window_seconds,
                              [this, call](absl::StatusOr<storage::TrackedClick> click) {
                                AnswerTrack(call, std::move(click), "");
                              });
}

void TrackingServiceImpl::UpgradeClick(const TrackCallPtr& call,
                                       const storage::PublicProgram& program,
                                       const storage::Visitor& visitor) {
  AnswerTrack(call,
              tracking_->UpgradeClick(program.team_id, program.id,
                                      call->request->upgrade_click_id(), visitor),
              "upgraded");
}

void TrackingServiceImpl::AnswerTrack(const TrackCallPtr& call,
                                      absl::StatusOr<storage::TrackedClick> click,
                                      absl::string_view result) {
  if (!click.ok()) return FinishTrack(call, click.status());
  if (result.empty()) result = click->created ? "tracked" : "duplicate";
  affonso::v1::TrackingResult* response = call->response;
  affonso::v1::TrackingData* data = response->mutable_data();
  for (const affonso::v1::Coupon& coupon : click->coupons) {
    *data->add_affiliate_coupons() = ToDiscount(coupon);
  }
  if (!click->coupons.empty()) *data->mutable_discount() = data->affiliate_coupons(0);
  response->set_cid(click->click_id);
  response->set_status(std::string(result));
  Count(result);
  FinishTrack(call, absl::OkStatus());
}

void TrackingServiceImpl::FinishTrack(const TrackCallPtr& call, const absl::Status& status) {
  if (!status.ok()) call->response->Clear();
  call->reactor->Finish(runner_.End(call->context, "Track", call->scope, status));
}

grpc::Status TrackingServiceImpl::BrowserSignup(grpc::ServerContext* context,
                                                const affonso::v1::BrowserSignupRequest* request,
                                                affonso::v1::BrowserSignupResult* response) {
  return runner_.Run(context, "BrowserSignup", *request, [&](const Caller&) -> absl::Status {
    // ConvertClick blocks this synchronous thread until its batch commits:
    // anonymous callers may hold only so many.
    if (browser_signups_in_flight_.fetch_add(1) >= options_.max_browser_signups_in_flight) {
      browser_signups_in_flight_.fetch_sub(1);
      return absl::UnavailableError("too many browser signups in flight: busy; retry");
    }
    struct Leave {
      std::atomic<int>* in_flight;
      ~Leave() { in_flight->fetch_sub(1); }
    } leave{&browser_signups_in_flight_};
    absl::StatusOr<storage::Conversion> conversion = [&]() -> absl::StatusOr<storage::Conversion> {
      AFFONSO_RETURN_IF_ERROR(ValidateBrowserSignup(*request));
      AFFONSO_ASSIGN_OR_RETURN(PublicProgramCache::Program program,
                               Admit(*context, request->program_id()));
      affonso::v1::RecordSignupRequest signup;
      signup.set_click_id(request->click_id());
      signup.set_email(request->email());
      signup.set_name(request->name());
      // Sales are attributed by the external user id, the first referral
      // claiming one wins: from an anonymous page only where the program
      // opted in (dropped silently otherwise, as an untracked email is).
      if (program->browser_external_user_id) {
        signup.set_external_user_id(request->external_user_id());
      } else if (signup.email().empty()) {
        return ValidationError("email", kBrowserExternalUserIdOff);
      }
      if (!LooksLikeId(request->click_id(), "clk")) return NotFoundError("click");
      // Only the program's own click: ConvertClick alone would take any of
      // the team's.
      AFFONSO_RETURN_IF_ERROR(
          tracking_->CheckClickInProgram(program->team_id, program->id, request->click_id()));
      return signups_->ConvertClick(program->team_id, signup);
    }();
    if (options_.conversion_metrics != nullptr) {
      options_.conversion_metrics->CountSignup(conversion.status(),
                                               conversion.ok() && conversion->created,
                                               conversion.ok() ? &conversion->referral : nullptr);
    }
    if (!conversion.ok()) return conversion.status();
    response->set_id(conversion->referral.id());
    response->set_status(conversion->referral.status());
    response->set_created(conversion->created);
    RpcRunner::SetHttpCode(context, conversion->created ? 201 : 200);
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

#include "services/webhook_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/pagination.h"
#include "services/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::CreateWebhookRequest;
using affonso::v1::ListWebhookDeliveriesRequest;
using affonso::v1::UpdateWebhookRequest;
using google::protobuf::RepeatedPtrField;

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxDescriptionLength = 500;
constexpr const char* kEventTypes[] = {"referral.lead", "transaction.created"};

absl::Status UrlError(absl::string_view message) {
  return ValidationError("url", absl::StrCat("url ", message));
}

bool IsKnownEventType(absl::string_view type) {
  for (const char* known : kEventTypes) {
    if (type == known) return true;
  }
  return false;
}

absl::Status CheckEvents(const RepeatedPtrField<std::string>& events) {
  if (events.empty()) {
    return ValidationError("events", "events must list at least one event type");
  }
  for (const std::string& type : events) {
    if (!IsKnownEventType(type)) {
      return ValidationError(
          "events", "events may only contain \"referral.lead\" and \"transaction.created\"");
    }
  }
  return absl::OkStatus();
}

// Keeps the first occurrence of each type, in the order given.
void Deduplicate(RepeatedPtrField<std::string>* events) {
  absl::flat_hash_set<std::string> seen;
  RepeatedPtrField<std::string> unique;
  for (std::string& type : *events) {
    if (seen.insert(type).second) unique.Add(std::move(type));
  }
  events->Swap(&unique);
}

bool IsPrivateIpv4(uint32_t address) {  // host byte order
  const uint32_t first = address >> 24;
  return first == 127 || first == 10 || first == 0 ||
         (address & 0xfff00000u) == 0xac100000u ||  // 172.16/12
         (address & 0xffff0000u) == 0xc0a80000u ||  // 192.168/16
         (address & 0xffff0000u) == 0xa9fe0000u;    // 169.254/16
}

bool IsPrivateIpv6(const in6_addr& address) {
  const uint8_t* b = address.s6_addr;
  if (IN6_IS_ADDR_LOOPBACK(&address) || IN6_IS_ADDR_UNSPECIFIED(&address)) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
  // ::ffff:a.b.c.d reaches the IPv4 address.
  if (IN6_IS_ADDR_V4MAPPED(&address)) {
    return IsPrivateIpv4(static_cast<uint32_t>(b[12]) << 24 | static_cast<uint32_t>(b[13]) << 16 |
                         static_cast<uint32_t>(b[14]) << 8 | b[15]);
  }
  return false;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// `authority` is host[:port] or [ipv6][:port]; returns the host (IPv6
// without brackets).
absl::StatusOr<std::string> ParseAuthority(absl::string_view authority) {
  if (absl::StrContains(authority, '@')) return UrlError("must not contain credentials");
  absl::string_view host;
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return UrlError("has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return UrlError("has an invalid host");
      has_port = true;
      port = rest.substr(1);
    }
    in6_addr address;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) {
      return UrlError("has an invalid IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    for (char c : host) {
      if (!IsHostChar(c)) return UrlError("has an invalid host");
    }
    if (absl::StartsWith(host, ".") || absl::StrContains(host, "..")) {
      return UrlError("has an invalid host");
    }
  }
  if (host.empty()) return UrlError("must have a host");
  if (has_port) {
    int number = 0;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return UrlError("has an invalid port");
    }
  }
  return std::string(host);
}

absl::StatusOr<storage::WebhookListQuery> PageQuery(int page, int limit) {
  AFFONSO_ASSIGN_OR_RETURN(
      PageRequest resolved,
      ResolvePage(page, limit, kDefaultWebhookPageLimit, kMaxWebhookPageLimit));
  storage::WebhookListQuery query;
  query.page = resolved.page;
  query.limit = resolved.limit;
  return query;
}


// Attempt ids are issued by the dispatcher as `wha_…`.
absl::Status CheckDeliveryCursor(absl::string_view field, const std::string& cursor) {
  if (cursor.empty() || LooksLikeId(cursor, "wha")) return absl::OkStatus();
  return ValidationError(field, absl::StrCat(field, " is not a webhook delivery id"));
}

}  // namespace

bool IsPrivateHostLiteral(absl::string_view host) {
  std::string name = absl::AsciiStrToLower(host);
  if (absl::EndsWith(name, ".")) name.pop_back();
  if (name == "localhost" || absl::EndsWith(name, ".localhost")) return true;
  in6_addr v6;
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) return IsPrivateIpv6(v6);
  // inet_aton, like the resolver, also reads the short and numeric forms
  // ("127.1", "2130706433", "0x7f.1") an HTTP client would connect to.
  in_addr v4;
  if (inet_aton(name.c_str(), &v4) != 0) return IsPrivateIpv4(ntohl(v4.s_addr));
  return false;
}

absl::Status CheckWebhookUrl(absl::string_view url, bool allow_private_destinations) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("url", url));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("url", url, kMaxUrlLength));
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return UrlError("must not contain spaces, control or non-ASCII characters");
    }
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return UrlError("must be an absolute http(s) URL");
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return UrlError("must use http or https");
  if (absl::StrContains(url, '#')) return UrlError("must not contain a fragment");
  absl::string_view rest = url.substr(scheme_end + 3);
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  AFFONSO_ASSIGN_OR_RETURN(std::string host, ParseAuthority(authority));
  if (!allow_private_destinations && IsPrivateHostLiteral(host)) {
    return UrlError("must not point to a private, loopback or link-local address");
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateWebhook(const CreateWebhookRequest& request,
                                   bool allow_private_destinations) {
  AFFONSO_RETURN_IF_ERROR(CheckWebhookUrl(request.url(), allow_private_destinations));
  AFFONSO_RETURN_IF_ERROR(CheckEvents(request.events()));
  return CheckMaxLength("description", request.description(), kMaxDescriptionLength);
}

absl::Status ValidateUpdateWebhook(const UpdateWebhookRequest& request,
                                   bool allow_private_destinations) {
  if (request.has_url()) {
    AFFONSO_RETURN_IF_ERROR(CheckWebhookUrl(request.url(), allow_private_destinations));
  }
  // Empty = unchanged (an endpoint always listens to something).
  if (!request.events().empty()) AFFONSO_RETURN_IF_ERROR(CheckEvents(request.events()));
  if (request.has_description()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("description", request.description(), kMaxDescriptionLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateListWebhookDeliveries(const ListWebhookDeliveriesRequest& request) {
  if (request.limit() < 0 || request.limit() > kMaxWebhookPageLimit) {
    return ValidationError("limit",
                           absl::StrCat("limit must be between 1 and ", kMaxWebhookPageLimit));
  }
  if (!request.starting_after().empty() && !request.ending_before().empty()) {
    return ValidationError("ending_before",
                           "starting_after and ending_before cannot be used together");
  }
  AFFONSO_RETURN_IF_ERROR(CheckDeliveryCursor("starting_after", request.starting_after()));
  AFFONSO_RETURN_IF_ERROR(CheckDeliveryCursor("ending_before", request.ending_before()));
  if (!affonso::v1::ListOrder_IsValid(request.order())) {
    return ValidationError("order", "order must be asc or desc");
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::WebhookListQuery> ParseListWebhooks(
    const affonso::v1::ListWebhooksRequest& request) {
  return PageQuery(request.page(), request.limit());
}

grpc::Status WebhookServiceImpl::CreateWebhook(grpc::ServerContext* context,
                                               const CreateWebhookRequest* request,
                                               affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "CreateWebhook", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateCreateWebhook(*request, allow_private_destinations_));
    CreateWebhookRequest normalized = *request;
    Deduplicate(normalized.mutable_events());
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateWebhook(caller.team_id, normalized));
    RpcRunner::SetHttpCode(context, 201);
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::ListWebhooks(grpc::ServerContext* context,
                                              const affonso::v1::ListWebhooksRequest* request,
                                              affonso::v1::ListWebhooksResponse* response) {
  return runner_.Run(context, "ListWebhooks", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::WebhookListQuery query, ParseListWebhooks(*request));
    AFFONSO_ASSIGN_OR_RETURN(storage::WebhookPage page,
                             store_->ListWebhooks(caller.team_id, query));
    for (affonso::v1::WebhookEndpoint& webhook : page.webhooks) {
      webhook.clear_secret();
      *response->add_data() = std::move(webhook);
    }
    *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::GetWebhook(grpc::ServerContext* context,
                                            const affonso::v1::GetWebhookRequest* request,
                                            affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "GetWebhook", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetWebhook(caller.team_id, request->id()));
    response->clear_secret();
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::UpdateWebhook(grpc::ServerContext* context,
                                               const UpdateWebhookRequest* request,
                                               affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "UpdateWebhook", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateUpdateWebhook(*request, allow_private_destinations_));
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    UpdateWebhookRequest normalized = *request;
    Deduplicate(normalized.mutable_events());
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateWebhook(caller.team_id, normalized));
    response->clear_secret();
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::DeleteWebhook(grpc::ServerContext* context,
                                               const affonso::v1::DeleteWebhookRequest* request,
                                               affonso::v1::DeleteWebhookResponse* response) {
  return runner_.Run(context, "DeleteWebhook", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    AFFONSO_RETURN_IF_ERROR(store_->DeleteWebhook(caller.team_id, request->id()));
    response->set_id(request->id());
    response->set_deleted(true);
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::ListWebhookDeliveries(
    grpc::ServerContext* context, const ListWebhookDeliveriesRequest* request,
    affonso::v1::ListWebhookDeliveriesResponse* response) {
  return runner_.Run(context, "ListWebhookDeliveries", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateListWebhookDeliveries(*request));
    if (!LooksLikeId(request->webhook_id(), "whk")) return NotFoundError("webhook");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->ListWebhookDeliveries(caller.team_id, *request));
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::RedeliverEvent(grpc::ServerContext* context,
                                                const affonso::v1::RedeliverEventRequest* request,
                                                affonso::v1::RedeliverEventResponse* response) {
  return runner_.Run(context, "RedeliverEvent", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->webhook_id(), "whk")) return NotFoundError("webhook");
    if (!LooksLikeId(request->event_id(), "evt")) return NotFoundError("event");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->RedeliverEvent(caller.team_id,
                                                               request->webhook_id(),
                                                               request->event_id()));
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

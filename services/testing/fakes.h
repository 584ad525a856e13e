#ifndef AFFONSO_SERVICES_TESTING_FAKES_H_
#define AFFONSO_SERVICES_TESTING_FAKES_H_

#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "services/call/authenticator.h"

namespace affonso::services::testing {

inline constexpr char kGoodAuthorization[] = "Bearer sk_test_good";

// Accepts `good_authorization` (kGoodAuthorization unless set) as `caller`;
// anything else is rejected the way the real authenticator rejects it: no
// header is MISSING_API_KEY, any other INVALID_API_KEY.
class FakeAuthenticator : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override {
    if (authorization.empty()) return MissingApiKeyError();
    if (authorization != good_authorization) return InvalidApiKeyError();
    return caller;
  }

  // All of it is in memory.
  std::optional<absl::StatusOr<Caller>> AuthenticateWithoutWaiting(
      absl::string_view authorization, absl::string_view client_address) const override {
    return Authenticate(authorization);
  }

  std::string good_authorization = kGoodAuthorization;
  Caller caller{"team_a", "key_a"};
};

// The name of the calling thread ("" when unknown): tests tell an
// admission thread ("affonso-admit") from gRPC's.
inline std::string ThreadName() {
  char name[16] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

// Services under test behind a real gRPC server on an in-process channel, so
// tests exercise metadata, status codes and trailers as clients see them.
class InProcessServer {
 public:
  explicit InProcessServer(const std::vector<grpc::Service*>& services) {
    grpc::ServerBuilder builder;
    for (grpc::Service* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  ~InProcessServer() { server_->Shutdown(); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client context carrying `authorization` ("" sends none).
inline std::unique_ptr<grpc::ClientContext> ContextWithAuth(
    const std::string& authorization = kGoodAuthorization) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  return context;
}

// One response metadata value ("" when absent); `trailing` picks the trailers.
inline std::string ServerMetadata(const grpc::ClientContext& context, const std::string& key,
                                  bool trailing = false) {
  return MetadataValue(
      trailing ? context.GetServerTrailingMetadata() : context.GetServerInitialMetadata(), key);
}

}  // namespace affonso::services::testing

#endif  // AFFONSO_SERVICES_TESTING_FAKES_H_

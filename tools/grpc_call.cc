// A minimal grpcurl for the affonso.v1 services (Debian has no grpcurl):
//
//   grpc_call --addr=127.0.0.1:50051 --api_key=sk_live_...
//       SignupService/RecordSignup '{"click_id":"clk_...","email":"a@b.co"}'
//
// Prints the response as JSON (proto field names), then the x-http-code and,
// on failure, the gRPC status with x-error-code / x-error-field. Exits 0 on OK.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_metadata.h"
#include "common/wire_metadata.h"
#include "gateway/transcoder/contract.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, api_key, "", "API key sent as 'authorization: Bearer <key>'");
ABSL_FLAG(int, timeout_ms, 10000, "call deadline");

namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("grpc_call [flags] Service/Method [JSON]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 || args.size() > 3) {
    std::cerr << "usage: grpc_call [--addr] [--api_key] Service/Method [JSON]\n";
    return 2;
  }
  affonso::gateway::ContractFiles();  // links the contract's descriptors
  std::vector<std::string> parts = absl::StrSplit(args[1], '/');
  if (parts.size() != 2) {
    std::cerr << "method must look like SignupService/RecordSignup\n";
    return 2;
  }
  std::string service_name =
      parts[0].find('.') == std::string::npos ? absl::StrCat("affonso.v1.", parts[0]) : parts[0];
  const auto* service = DescriptorPool::generated_pool()->FindServiceByName(service_name);
  const MethodDescriptor* method = service ? service->FindMethodByName(parts[1]) : nullptr;
  if (method == nullptr) {
    std::cerr << "unknown method " << args[1] << "\n";
    return 2;
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<Message> request(factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<Message> response(factory.GetPrototype(method->output_type())->New());
  std::string json = args.size() == 3 ? args[2] : "{}";
  auto parsed = google::protobuf::util::JsonStringToMessage(json, request.get());
  if (!parsed.ok()) {
    std::cerr << "bad request JSON: " << parsed.ToString() << "\n";
    return 2;
  }

  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_addr), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!absl::GetFlag(FLAGS_api_key).empty()) {
    context.AddMetadata("authorization", "Bearer " + absl::GetFlag(FLAGS_api_key));
  }
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, absl::StrCat("/", service_name, "/", method->name()),
                 grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();

  if (!status.ok()) {
    std::cout << "ERROR " << status.error_code() << " " << status.error_message() << " "
              << affonso::kErrorCodeKey << "="
              << affonso::MetadataValue(context.GetServerTrailingMetadata(),
                                        affonso::kErrorCodeKey);
    std::string field =
        affonso::MetadataValue(context.GetServerTrailingMetadata(), affonso::kErrorFieldKey);
    if (!field.empty()) std::cout << " " << affonso::kErrorFieldKey << "=" << field;
    std::cout << "\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string payload;
  for (const auto& s : slices) payload.append(reinterpret_cast<const char*>(s.begin()), s.size());
  response->ParseFromString(payload);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(*response, &out, options);
  std::cout << out << "\n";
  std::string code =
      affonso::MetadataValue(context.GetServerInitialMetadata(), affonso::kHttpCodeKey);
  if (!code.empty()) std::cout << affonso::kHttpCodeKey << ": " << code << "\n";
  return 0;
}

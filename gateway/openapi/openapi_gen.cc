// Writes the OpenAPI document of the affonso.v1 REST surface.
//
//   openapi_gen [--descriptor_set=FILE] [--out=FILE]
//
// The structure comes from the generated descriptors linked into this binary
// (exactly what the gateway serves); --descriptor_set, written by
// `protoc --include_imports --include_source_info`, only adds the proto
// comments as summaries and descriptions.

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gateway/openapi/openapi.h"
#include "gateway/transcoder/contract.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace {

using google::protobuf::FileDescriptor;
using google::protobuf::ServiceDescriptor;

bool ReadFile(const std::string& path, std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *contents = buffer.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string descriptor_set_path;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--descriptor_set=")) {
      descriptor_set_path = arg.substr(arg.find('=') + 1);
    } else if (absl::StartsWith(arg, "--out=")) {
      out_path = arg.substr(arg.find('=') + 1);
    } else {
      std::cerr << "usage: openapi_gen [--descriptor_set=FILE] [--out=FILE]\n";
      return 2;
    }
  }

  const std::vector<const FileDescriptor*> files = affonso::gateway::ContractFiles();
  const std::vector<const ServiceDescriptor*> services = affonso::gateway::ContractServices();

  affonso::gateway::OpenApiOptions options;
  if (!descriptor_set_path.empty()) {
    std::string bytes;
    google::protobuf::FileDescriptorSet descriptor_set;
    if (!ReadFile(descriptor_set_path, &bytes) || !descriptor_set.ParseFromString(bytes)) {
      std::cerr << "openapi_gen: cannot read descriptor set " << descriptor_set_path << "\n";
      return 1;
    }
    // A file missing from the set would silently lose its documentation.
    std::set<std::string> described;
    for (const auto& file : descriptor_set.file()) described.insert(file.name());
    for (const FileDescriptor* file : files) {
      if (described.count(file->name()) == 0) {
        std::cerr << "openapi_gen: " << file->name()
                  << " is not in the descriptor set: add it to the srcs of "
                     "//gateway/openapi:openapi_descriptor_set\n";
        return 1;
      }
    }
    auto comments = affonso::gateway::CommentsFromDescriptorSet(descriptor_set);
    if (!comments.ok()) {
      std::cerr << "openapi_gen: " << comments.status() << "\n";
      return 1;
    }
    options.comments = *std::move(comments);
  }

  const std::string document = affonso::gateway::BuildOpenApi(services, options);
  if (out_path.empty()) {
    std::cout << document;
    return std::cout.good() ? 0 : 1;
  }
  std::ofstream out(out_path, std::ios::binary);
  out << document;
  out.close();
  if (!out) {
    std::cerr << "openapi_gen: cannot write " << out_path << "\n";
    return 1;
  }
  return 0;
}

#ifndef AFFONSO_GATEWAY_TRANSCODER_CONTRACT_H_
#define AFFONSO_GATEWAY_TRANSCODER_CONTRACT_H_

#include <vector>

#include "google/protobuf/descriptor.h"

namespace affonso::gateway {

// The .proto files of the affonso.v1 contract, sorted by name. Referencing
// them here links their generated code, which is what registers them in the
// generated descriptor pool. A new rpc needs nothing; a new .proto file adds
// one line in contract.cc.
std::vector<const google::protobuf::FileDescriptor*> ContractFiles();

// Every service declared in those files.
std::vector<const google::protobuf::ServiceDescriptor*> ContractServices();

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_CONTRACT_H_

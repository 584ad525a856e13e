#ifndef AFFONSO_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_
#define AFFONSO_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_

namespace affonso::gateway {

// The OpenAPI document of the REST API, generated from the protos at build
// time (//gateway/openapi:openapi_json) and served at /openapi.json.
extern const char kOpenApiJson[];

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_

#ifndef AFFONSO_GATEWAY_HTTP_HTTP_HANDLER_H_
#define AFFONSO_GATEWAY_HTTP_HTTP_HANDLER_H_

#include <functional>

#include "gateway/http/http_message.h"

namespace affonso::gateway {

// What HttpServer serves: the REST gateway's GrpcProxy, the ops port,
// test receivers. Called on an I/O thread: must not block. Calls `respond`
// exactly once, from any thread, possibly after the client has gone (the
// response is then dropped safely), after the handler timeout (ignored) or
// after the server is gone (ignored).
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, std::function<void(HttpResponse)> respond) = 0;
};

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_HTTP_HTTP_HANDLER_H_

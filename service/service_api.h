// The routes of `barrage serve`'s HTTP API (issue 13; docs/service.md), built over the
// service's parts. Every route is in the OpenAPI document (service/openapi/openapi.json,
// served at /api/v1/openapi.json) and every path of the document is a route: a test checks
// both ways.
#ifndef BARRAGE_SERVICE_SERVICE_API_H_
#define BARRAGE_SERVICE_SERVICE_API_H_

#include <string>
#include <string_view>

#include "service/api.h"

namespace barrage {

// The OpenAPI 3 document, as built (version filled in).
std::string_view OpenApiDocument();

struct ServiceApiContext {
  std::string public_url;  // "http://127.0.0.1:8470": the document's server
};

// The router with every route of the API. `context` must outlive it.
ApiRouter BuildServiceApi(const ServiceApiContext* context);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVICE_API_H_

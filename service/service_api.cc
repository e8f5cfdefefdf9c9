#include "service/service_api.h"

#include <nlohmann/json.hpp>

#include "service/service_info.h"

namespace barrage {

ApiRouter BuildServiceApi(const ServiceApiContext* context) {
  ApiRouter router;
  const std::string base(kApiBase);
  router.Add("GET", base + "/health", [](const ApiRequest&) {
    return ApiResponse::Json({{"status", "ok"}, {"version", std::string(ServiceVersion())}});
  });
  router.Add("GET", base + "/openapi.json", [context](const ApiRequest&) {
    nlohmann::json doc = nlohmann::json::parse(OpenApiDocument());
    doc["servers"] = nlohmann::json::array({{{"url", context->public_url}}});
    return ApiResponse::Json(doc);
  });
  return router;
}

}  // namespace barrage

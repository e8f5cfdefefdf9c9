#include "service/service_api.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "service/service_info.h"

namespace barrage {
namespace {

ApiRequest Get(std::string path) {
  ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(ServiceApiTest, HealthAnswersOkWithTheVersion) {
  ServiceApiContext context{"http://127.0.0.1:8470"};
  ApiRouter api = BuildServiceApi(&context);
  ApiResponse r = api.Handle(Get("/api/v1/health"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\",\"version\":\"" + std::string(ServiceVersion()) + "\"}\n");
}

TEST(ServiceApiTest, TheOpenApiDocumentNamesThisServerAndVersion) {
  ServiceApiContext context{"https://bastion.example:8470"};
  ApiRouter api = BuildServiceApi(&context);
  ApiResponse r = api.Handle(Get("/api/v1/openapi.json"));
  ASSERT_EQ(r.status, 200);
  nlohmann::json doc = nlohmann::json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["info"]["version"], std::string(ServiceVersion()));
  EXPECT_EQ(doc["servers"], nlohmann::json::parse(R"([{"url":"https://bastion.example:8470"}])"));
}

// The document and the implementation describe the same API: every route is a documented
// path and method, and every documented operation is a route.
TEST(ServiceApiTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  ServiceApiContext context{"http://127.0.0.1:8470"};
  ApiRouter api = BuildServiceApi(&context);
  std::set<std::string> routes;
  for (const std::string& r : api.Routes()) routes.insert(r);
  std::set<std::string> documented;
  nlohmann::json doc = nlohmann::json::parse(OpenApiDocument());
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string upper;
      for (char c : method) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      documented.insert(upper + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << upper << " " << path;
    }
  }
  EXPECT_EQ(routes, documented);
}

}  // namespace
}  // namespace barrage

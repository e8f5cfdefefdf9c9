#include "service/api.h"

#include <gtest/gtest.h>

#include <string>

namespace barrage {
namespace {

ApiRequest Req(std::string method, std::string path, std::string body = "") {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

ApiRouter Echo() {
  ApiRouter router;
  router.Add("GET", "/api/v1/runs/{id}", [](const ApiRequest& r) {
    return ApiResponse::Json({{"route", "run"}, {"id", r.params.at("id")}});
  });
  router.Add("POST", "/api/v1/runs/{id}/stop", [](const ApiRequest& r) {
    return ApiResponse::Json({{"route", "stop"}, {"id", r.params.at("id")}}, 202);
  });
  router.Add("GET", "/api/v1/projects/{project}/runs", [](const ApiRequest& r) {
    return ApiResponse::Json({{"route", "runs"}, {"project", r.params.at("project")}});
  });
  router.Add("POST", "/api/v1/projects/{project}/runs", [](const ApiRequest&) { return ApiResponse::Json({}, 201); });
  return router;
}

TEST(ApiRouterTest, ARouteMatchesItsSegmentsAndNamesItsParameters) {
  ApiResponse r = Echo().Handle(Req("GET", "/api/v1/runs/42"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"id\":\"42\",\"route\":\"run\"}\n");
  EXPECT_EQ(Echo().Handle(Req("POST", "/api/v1/runs/7/stop")).body, "{\"id\":\"7\",\"route\":\"stop\"}\n");
  EXPECT_EQ(Echo().Handle(Req("GET", "/api/v1/projects/shop/runs")).body,
            "{\"project\":\"shop\",\"route\":\"runs\"}\n");
}

TEST(ApiRouterTest, ATrailingOrDoubledSlashDoesNotChangeTheRoute) {
  EXPECT_EQ(Echo().Handle(Req("GET", "/api/v1/runs/42/")).status, 200);
  EXPECT_EQ(Echo().Handle(Req("GET", "/api//v1/runs/42")).status, 200);
}

TEST(ApiRouterTest, AnUnknownPathIs404WithTheErrorBody) {
  ApiResponse r = Echo().Handle(Req("GET", "/api/v1/runs/42/nothing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "{\"error\":\"no such resource: /api/v1/runs/42/nothing\"}\n");
  EXPECT_EQ(Echo().Handle(Req("GET", "/api/v1/runs")).status, 404);  // a parameter matches one whole segment
}

TEST(ApiRouterTest, AKnownPathUnderAnotherMethodIs405WithAllow) {
  ApiResponse r = Echo().Handle(Req("DELETE", "/api/v1/projects/shop/runs"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "{\"error\":\"DELETE is not allowed on /api/v1/projects/shop/runs (allowed: GET, POST)\"}\n");
  ASSERT_EQ(r.headers.count("Allow"), 1u);
  EXPECT_EQ(r.headers.find("Allow")->second, "GET, POST");
}

TEST(ApiRouterTest, RoutesListsEveryRouteInOrder) {
  EXPECT_EQ(Echo().Routes(),
            (std::vector<std::string>{"GET /api/v1/runs/{id}", "POST /api/v1/runs/{id}/stop",
                                      "GET /api/v1/projects/{project}/runs", "POST /api/v1/projects/{project}/runs"}));
}

TEST(ApiRequestTest, HeadersAndQueryGiveTheirFirstValueOrNothing) {
  ApiRequest r;
  r.headers.emplace("authorization", "Bearer x");
  r.query.emplace("format", "csv");
  r.query.emplace("format", "json");
  EXPECT_EQ(r.Header("authorization"), "Bearer x");
  EXPECT_EQ(r.Header("x-missing"), "");
  EXPECT_EQ(r.Query("format"), "csv");
  EXPECT_EQ(r.Query("missing"), std::nullopt);
}

TEST(ParseJsonBodyTest, AnObjectIsParsed) {
  ApiResponse error;
  std::optional<nlohmann::json> doc = ParseJsonBody(Req("POST", "/", R"({"plan":"shop.jmx"})"), &error);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ((*doc)["plan"], "shop.jmx");
}

TEST(ParseJsonBodyTest, NotJsonOrNotAnObjectIs400) {
  ApiResponse error;
  EXPECT_FALSE(ParseJsonBody(Req("POST", "/", "{plan"), &error).has_value());
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.body, "{\"error\":\"the body is not JSON\"}\n");
  EXPECT_FALSE(ParseJsonBody(Req("POST", "/", "[1]"), &error).has_value());
  EXPECT_EQ(error.body, "{\"error\":\"the body must be a JSON object\"}\n");
}

}  // namespace
}  // namespace barrage

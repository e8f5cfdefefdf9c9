#include "service/service_config.h"

#include <toml++/toml.h>

#include "common/host.h"
#include "common/toml_file.h"
#include "controller/pg_util.h"
#include "controller/results_store.h"
#include "service/http_server.h"

namespace barrage {
namespace {

// Bounds of the rate limiter's keys: a limit above them no longer limits anything.
constexpr int64_t kMaxAuthFailuresPerWindow = 1'000'000;
constexpr int64_t kMaxAuthWindowS = 86'400;
constexpr int64_t kMaxLocalRuns = 64;

Status ReadServerTable(const std::string& path, const toml::table& doc, ServerSettings* s) {
  if (const toml::node* db = doc.get("db")) {
    if (!db->is_string() || db->as_string()->get().empty())
      return Status::InvalidArgument(TomlKeyWhere(path, *db, "db") + ": expected a file name");
    const std::string& value = **db->as_string();
    s->db_path = IsPostgresUrl(value) ? value : ResolveAgainstConfig(path, value);
  }
  const toml::node* server_node = doc.get("server");
  if (server_node == nullptr) return Status::Ok();
  const toml::table* server = server_node->as_table();
  if (server == nullptr)
    return Status::InvalidArgument(TomlKeyWhere(path, *server_node, "server") + ": expected a table");
  for (auto&& [k, node] : *server) {
    const std::string key = "server." + std::string(k.str());
    auto text = [&](std::string* out, bool file) -> Status {
      if (!node.is_string()) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a string");
      *out = file && !node.as_string()->get().empty() ? ResolveAgainstConfig(path, **node.as_string())
                                                      : **node.as_string();
      return Status::Ok();
    };
    auto bytes = [&](int64_t* out) -> Status {
      if (!node.is_integer() || **node.as_integer() <= 0)
        return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a positive number of bytes");
      *out = **node.as_integer();
      return Status::Ok();
    };
    auto positive = [&](int64_t* out, int64_t max, const char* what) -> Status {
      if (!node.is_integer() || **node.as_integer() <= 0 || **node.as_integer() > max)
        return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected " + what + " from 1 to " +
                                       std::to_string(max));
      *out = **node.as_integer();
      return Status::Ok();
    };
    Status st;
    if (k == "listen") {
      st = text(&s->listen, false);
      std::string host;
      int port = 0;
      if (st.ok()) {
        if (Status parsed = ParseListenAddress(s->listen, &host, &port); !parsed.ok())
          st = Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": " + parsed.message());
      }
    } else if (k == "tls_cert_file") {
      st = text(&s->tls_cert_file, true);
    } else if (k == "tls_key_file") {
      st = text(&s->tls_key_file, true);
    } else if (k == "public_url") {
      st = text(&s->public_url, false);
    } else if (k == "data_dir") {
      st = text(&s->data_dir, true);
    } else if (k == "max_plan_bytes") {
      st = bytes(&s->max_plan_bytes);
    } else if (k == "max_upload_bytes") {
      st = bytes(&s->max_upload_bytes);
    } else if (k == "auth_failures_per_window") {
      int64_t n = 0;
      st = positive(&n, kMaxAuthFailuresPerWindow, "a number of failures");
      if (st.ok()) s->auth_failures_per_window = static_cast<int>(n);
    } else if (k == "auth_window_s") {
      st = positive(&s->auth_window_s, kMaxAuthWindowS, "a number of seconds");
    } else if (k == "max_local_runs") {
      int64_t n = 0;
      st = positive(&n, kMaxLocalRuns, "a number of runs");
      if (st.ok()) s->max_local_runs = static_cast<int>(n);
    } else {
      st = Status::InvalidArgument(
          TomlKeyWhere(path, node, key) +
          ": unknown key (server takes listen, tls_cert_file, tls_key_file, public_url, "
          "data_dir, max_plan_bytes, max_upload_bytes, auth_failures_per_window, auth_window_s, "
          "max_local_runs)");
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Result<ServerSettings> ResolveServerSettings(const ServeOptions& options) {
  ServerSettings s;
  if (!options.config_path.empty()) {
    Result<toml::table> doc = ParseTomlFile(options.config_path, "a configuration file");
    if (!doc.ok()) return doc.status();
    if (Status st = ReadServerTable(options.config_path, *doc, &s); !st.ok()) return st;
  }
  if (!options.db_path.empty()) s.db_path = options.db_path;
  // A database server has no folder next to it for the uploaded files: it must be named.
  if (IsPostgresUrl(s.db_path) && s.data_dir.empty()) {
    return Status::InvalidArgument("barrage serve: a PostgreSQL store (" + RedactPostgresUrl(s.db_path) +
                                   ") needs server.data_dir in the --config file: the folder that keeps uploaded "
                                   "plans, their data files and the runs' folders");
  }
  if (!options.listen.empty()) s.listen = options.listen;
  std::string host;
  int port = 0;
  if (Status st = ParseListenAddress(s.listen, &host, &port); !st.ok()) return st;
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    return Status::InvalidArgument(options.config_path + ": key server." +
                                   (s.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file") +
                                   ": tls_cert_file and tls_key_file go together");
  }
  if (s.max_plan_bytes > s.max_upload_bytes) {
    return Status::InvalidArgument(options.config_path +
                                   ": key server.max_plan_bytes: " + std::to_string(s.max_plan_bytes) +
                                   " is more than server.max_upload_bytes " + std::to_string(s.max_upload_bytes));
  }
  if (s.public_url.empty()) {
    s.public_url = (s.tls_cert_file.empty() ? "http://" : "https://") + s.listen;
    s.public_url_from_listen = true;
  }
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  if (s.data_dir.empty()) s.data_dir = s.db_path + ".files";
  return s;
}

}  // namespace barrage

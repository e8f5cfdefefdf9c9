#include "controller/cluster_config.h"

#include <toml++/toml.h>

#include <filesystem>

#include "common/toml_file.h"
#include "common/wire.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

// LoadCurveKeyFile, adding the warning (if any) to `s`.
Result<CurveKeyPair> LoadKeys(const std::string& path, KeyFilePermissions permissions, ClusterSettings* s) {
  std::string warning;
  Result<CurveKeyPair> keys = LoadCurveKeyFile(path, permissions, &warning);
  if (!warning.empty()) s->warnings.push_back(warning);
  return keys;
}

// A Z85 key as is, or the public key of a key file (always a file when `file_only`: a path
// can be 40 characters of Z85's alphabet, "/tmp/barrage-test-U4Xd7d/workers.d/a.pub").
// Adds it to s->allowed_keys, returns it.
Result<std::string> AddAllowedKey(const std::string& entry, const std::string& config, KeyFilePermissions permissions,
                                  ClusterSettings* s, bool file_only = false) {
  if (!file_only && IsValidCurveKey(entry)) {
    s->allowed_keys.insert(entry);
    return entry;
  }
  Result<CurveKeyPair> k = LoadKeys(ResolveAgainstConfig(config, entry), permissions, s);
  if (!k.ok()) return k.status();
  s->allowed_keys.insert(k->public_key);
  return k->public_key;
}

// { name = "lg-01", key = "<Z85 key or key file>" }: the key, bound to that worker name.
Status AddBoundKey(const toml::table& entry, const std::string& config, KeyFilePermissions permissions,
                   ClusterSettings* s) {
  const toml::node* name = entry.get("name");
  const toml::node* key = entry.get("key");
  if (name == nullptr || !name->is_string() || (**name->as_string()).empty() || key == nullptr || !key->is_string()) {
    return Status::InvalidArgument("expected { name = \"worker name\", key = \"public key or key file\" }");
  }
  for (auto&& [k, node] : entry) {
    if (k != "name" && k != "key")
      return Status::InvalidArgument("unknown key '" + std::string(k.str()) + "' in an entry");
  }
  Result<std::string> added = AddAllowedKey(**key->as_string(), config, permissions, s);
  if (!added.ok()) return added.status();
  auto [it, fresh] = s->bound_names.emplace(**name->as_string(), *added);
  if (!fresh && it->second != *added) {
    return Status::InvalidArgument("worker name '" + it->first + "' is given two different keys");
  }
  return Status::Ok();
}

Status ReadFile(const std::string& path, bool allow_insecure_key_permissions, ClusterSettings* s) {
  Result<toml::table> parsed = ParseTomlFile(path, "a configuration file");
  if (!parsed.ok()) return parsed.status();
  toml::table doc = std::move(parsed).value();
  // A typo must not fall back to a default silently: every key is known (config/controller.toml
  // documents them; [server] is service/service_config.h's).
  for (auto&& [k, node] : doc) {
    const std::string key(k.str());
    if (key == "cluster" || key == "security" || key == "server") {
      if (!node.is_table()) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a table");
    } else if (key != "db" && key != "project") {
      return Status::InvalidArgument(TomlKeyWhere(path, node, key) +
                                     ": unknown key (the file takes db, project, [cluster], [security], [server])");
    }
  }
  // Read first: it applies to the key files the other keys name.
  if (const toml::node* allow = doc["security"]["allow_insecure_key_permissions"].node()) {
    if (!allow->is_boolean()) {
      return Status::InvalidArgument(TomlKeyWhere(path, *allow, "security.allow_insecure_key_permissions") +
                                     ": expected true or false");
    }
    allow_insecure_key_permissions = allow_insecure_key_permissions || **allow->as_boolean();
  }
  const KeyFilePermissions permissions =
      allow_insecure_key_permissions ? KeyFilePermissions::kWarnIfOpen : KeyFilePermissions::kRefuseOpen;
  if (const toml::table* cluster = doc["cluster"].as_table()) {
    for (auto&& [k, node] : *cluster) {
      std::string key = "cluster." + std::string(k.str());
      if (k == "bind") {
        if (!node.is_string()) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a string");
        s->bind = **node.as_string();
      } else if (k == "wait_for_workers") {
        if (!node.is_integer() || **node.as_integer() <= 0) {
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a positive number of seconds");
        }
        s->wait_for_workers_s = **node.as_integer();
      } else if (k == "share") {
        if (!node.is_string() || (**node.as_string() != "per-worker" && **node.as_string() != "total")) {
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected \"per-worker\" or \"total\"");
        }
        s->share = **node.as_string();
      } else if (k == "min_workers") {
        if (!node.is_integer() || **node.as_integer() < 0) {
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a number of workers");
        }
        s->min_workers = static_cast<int>(**node.as_integer());
      } else {
        return Status::InvalidArgument(TomlKeyWhere(path, node, key) +
                                       ": unknown key (cluster takes bind, wait_for_workers, share, min_workers)");
      }
    }
  }
  if (const toml::table* security = doc["security"].as_table()) {
    for (auto&& [k, node] : *security) {
      std::string key = "security." + std::string(k.str());
      if (k == "insecure") {
        if (!node.is_boolean())
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected true or false");
        s->insecure = **node.as_boolean();
      } else if (k == "secret_key_file") {
        if (!node.is_string()) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a file name");
        Result<CurveKeyPair> keys = LoadKeys(ResolveAgainstConfig(path, **node.as_string()), permissions, s);
        if (!keys.ok()) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": " + keys.status().message());
        if (keys->secret_key.empty()) {
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": the key file has no secret_key");
        }
        s->secret_key = keys->secret_key;
        s->public_key = keys->public_key;
      } else if (k == "allowed_workers") {
        const toml::array* list = node.as_array();
        if (list == nullptr) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a list");
        for (const toml::node& item : *list) {
          Status added;
          if (const toml::table* entry = item.as_table()) {
            added = AddBoundKey(*entry, path, permissions, s);
          } else if (item.is_string()) {
            added = AddAllowedKey(**item.as_string(), path, permissions, s).status();
          } else {
            added = Status::InvalidArgument("expected key strings or { name = ..., key = ... } entries");
          }
          if (!added.ok()) return Status::InvalidArgument(TomlKeyWhere(path, item, key) + ": " + added.message());
        }
      } else if (k == "allowed_workers_dir") {
        if (!node.is_string())
          return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": expected a folder name");
        std::error_code ec;
        fs::directory_iterator it(ResolveAgainstConfig(path, **node.as_string()), ec);
        if (ec) return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": " + ec.message());
        for (const fs::directory_entry& e : it) {
          if (!e.is_regular_file()) continue;
          Result<std::string> added = AddAllowedKey(e.path().string(), path, permissions, s, /*file_only=*/true);
          if (!added.ok())
            return Status::InvalidArgument(TomlKeyWhere(path, node, key) + ": " + added.status().message());
        }
      } else if (k != "allow_insecure_key_permissions") {
        return Status::InvalidArgument(TomlKeyWhere(path, node, key) +
                                       ": unknown key (security takes secret_key_file, allowed_workers, "
                                       "allowed_workers_dir, insecure, allow_insecure_key_permissions)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ClusterSettings> ResolveClusterSettings(const ClusterOptions& options) {
  ClusterSettings s;
  if (!options.config_path.empty()) {
    Status read = ReadFile(options.config_path, options.allow_insecure_key_permissions, &s);
    if (!read.ok()) return read;
  }
  if (!options.bind.empty()) s.bind = options.bind;
  if (options.worker_timeout_s > 0) s.wait_for_workers_s = options.worker_timeout_s;
  if (!options.share.empty()) s.share = options.share;
  if (options.min_workers > 0) s.min_workers = options.min_workers;
  if (options.insecure) s.insecure = true;
  if (options.heartbeat_ms > 0) s.heartbeat_ms = options.heartbeat_ms;
  if (s.share != "per-worker" && s.share != "total") {
    return Status::InvalidArgument("--share " + s.share + ": expected per-worker or total");
  }
  if (!s.insecure) {
    std::string where = options.config_path.empty() ? std::string("(no --config given)") : options.config_path;
    if (s.secret_key.empty()) {
      return Status::InvalidArgument(where +
                                     ": key security.secret_key_file: cluster mode needs the controller's key pair "
                                     "(`barrage keygen -o controller.key`) or --insecure for plain TCP");
    }
    if (s.allowed_keys.empty()) {
      return Status::InvalidArgument(where +
                                     ": key security.allowed_workers: no worker public keys are allowed, "
                                     "so no worker could connect (or use --insecure)");
    }
  }
  return s;
}

}  // namespace barrage

#include "worker/worker_config.h"

#include <optional>

#include <toml++/toml.h>

#include "common/toml_file.h"
#include "common/wire.h"
#include "worker/target_policy.h"

namespace barrage {
namespace {

std::string Where(const std::string& path, const toml::node& node, const std::string& key) {
  std::string out = path;
  if (node.source().begin.line > 0) out += ":" + std::to_string(node.source().begin.line);
  return out + ": key " + key;
}

Status GetString(const std::string& path, const toml::node& node, const std::string& key, std::string* out) {
  const auto* v = node.as_string();
  if (v == nullptr) return Status::InvalidArgument(Where(path, node, key) + ": expected a string");
  *out = v->get();
  return Status::Ok();
}

Status GetBool(const std::string& path, const toml::node& node, const std::string& key, bool* out) {
  const auto* v = node.as_boolean();
  if (v == nullptr) {
    return Status::InvalidArgument(Where(path, node, key) + ": expected true or false");
  }
  *out = v->get();
  return Status::Ok();
}

Status GetNumber(const std::string& path, const toml::node& node, const std::string& key, double min, double* out,
                 const char* what) {
  std::optional<double> v;
  if (const auto* i = node.as_integer()) v = static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) v = f->get();
  if (!v || *v < min) {
    return Status::InvalidArgument(Where(path, node, key) + ": expected " + what);
  }
  *out = *v;
  return Status::Ok();
}

}  // namespace

Status LoadWorkerConfigFile(const std::string& path, WorkerConfig* config) {
  Result<toml::table> parsed = ParseTomlFile(path, "a configuration file");
  if (!parsed.ok()) return parsed.status();
  toml::table doc = std::move(parsed).value();
  for (const auto& [k, node] : doc) {
    const std::string key(k.str());
    Status s;
    double number = 0;
    if (key == "controller") {
      s = GetString(path, node, key, &config->controller);
    } else if (key == "name") {
      s = GetString(path, node, key, &config->name);
    } else if (key == "work_dir") {
      s = GetString(path, node, key, &config->work_dir);
    } else if (key == "controller_timeout") {
      s = GetNumber(path, node, key, 0.001, &number, "a number of seconds > 0");
      if (s.ok() && number > kMaxControllerTimeoutS) {
        s = Status::InvalidArgument(Where(path, node, key) + ": more than a year");
      }
      if (s.ok()) config->controller_timeout_s = number;
    } else if (key == "threads") {
      s = GetNumber(path, node, key, 0, &number, "a whole number >= 0");
      if (s.ok() && (number != static_cast<int>(number) || number > 4096)) {
        s = Status::InvalidArgument(Where(path, node, key) + ": expected a whole number >= 0");
      }
      if (s.ok()) config->threads = static_cast<int>(number);
    } else if (key == "allowed_targets") {
      const toml::array* list = node.as_array();
      if (list == nullptr) {
        return Status::InvalidArgument(
            Where(path, node, key) +
            ": expected a list of host patterns, e.g. [\"127.0.0.2\", \"*.staging.example.com:443\"]");
      }
      std::vector<std::string> patterns;
      for (const toml::node& item : *list) {
        if (!item.is_string()) {
          return Status::InvalidArgument(Where(path, item, key) + ": expected a list of strings");
        }
        patterns.push_back(**item.as_string());
      }
      Result<TargetPolicy> policy = TargetPolicy::Parse(patterns, Where(path, node, key));
      if (!policy.ok()) return policy.status();
      config->allowed_targets = std::move(patterns);
    } else if (key == "max_vus") {
      s = GetNumber(path, node, key, 1, &number, "a whole number of users >= 1");
      if (s.ok() && (number != static_cast<double>(static_cast<int64_t>(number)) || number > 10'000'000)) {
        s = Status::InvalidArgument(Where(path, node, key) + ": expected a whole number of users from 1 to 10000000");
      }
      if (s.ok()) config->max_vus = static_cast<int64_t>(number);
    } else if (key == "max_rps") {
      s = GetNumber(path, node, key, 0.001, &number, "a number of requests per second > 0");
      if (s.ok()) config->max_rps = number;
    } else if (key == "max_duration") {
      s = GetNumber(path, node, key, 1, &number, "a number of seconds >= 1");
      if (s.ok() && number > kMaxControllerTimeoutS) {
        s = Status::InvalidArgument(Where(path, node, key) + ": more than a year");
      }
      if (s.ok()) config->max_duration_s = number;
    } else if (key == "exit_after_run") {
      s = GetBool(path, node, key, &config->exit_after_run);
    } else if (key == "security" || key == "spool") {
      const toml::table* t = node.as_table();
      if (t == nullptr) return Status::InvalidArgument(Where(path, node, key) + ": expected a table");
      for (const auto& [sk, sub] : *t) {
        const std::string name = key + "." + std::string(sk.str());
        if (name == "security.secret_key_file") {
          s = GetString(path, sub, name, &config->secret_key_file);
        } else if (name == "security.controller_public_key") {
          s = GetString(path, sub, name, &config->controller_public_key);
        } else if (name == "security.insecure") {
          s = GetBool(path, sub, name, &config->insecure);
        } else if (name == "security.allow_insecure_key_permissions") {
          s = GetBool(path, sub, name, &config->allow_insecure_key_permissions);
        } else if (name == "spool.memory_limit_mb") {
          s = GetNumber(path, sub, name, 0, &number, "a number of MiB >= 0");
          if (s.ok() && number > (1 << 20)) {
            s = Status::InvalidArgument(Where(path, sub, name) + ": more than 1 TiB");
          }
          if (s.ok()) config->spool_memory_bytes = static_cast<uint64_t>(number * (1 << 20));
        } else if (name == "spool.directory") {
          s = GetString(path, sub, name, &config->spool_dir);
        } else {
          s = Status::InvalidArgument(Where(path, sub, name) + ": unknown key");
        }
        if (!s.ok()) return s;
      }
    } else {
      s = Status::InvalidArgument(Where(path, node, key) + ": unknown key");
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ValidateWorkerConfig(const WorkerConfig& config, const std::string& source) {
  if (config.controller.empty()) {
    return Status::InvalidArgument(source + ": key controller: missing (or pass --controller tcp://HOST:PORT)");
  }
  if (config.controller.rfind("tcp://", 0) != 0 && config.controller.rfind("ipc://", 0) != 0) {
    return Status::InvalidArgument(source + ": key controller: '" + config.controller +
                                   "' is not a tcp://HOST:PORT endpoint");
  }
  if (config.work_dir.empty()) return Status::InvalidArgument(source + ": key work_dir: empty");
  if (!(config.controller_timeout_s > 0 && config.controller_timeout_s <= kMaxControllerTimeoutS)) {
    return Status::InvalidArgument(source + ": key controller_timeout: expected 0 < seconds <= one year");
  }
  if (Result<TargetPolicy> targets = TargetPolicy::Parse(config.allowed_targets, source + ": key allowed_targets");
      !targets.ok()) {
    return targets.status();
  }
  if (!config.insecure) {
    if (config.secret_key_file.empty()) {
      return Status::InvalidArgument(source +
                                     ": key security.secret_key_file: missing (CurveZMQ needs this "
                                     "worker's key pair; make one with --keygen FILE, or set "
                                     "insecure = true / --insecure for plain TCP)");
    }
    if (config.controller_public_key.empty()) {
      return Status::InvalidArgument(source +
                                     ": key security.controller_public_key: missing (the "
                                     "controller's public key, or set insecure = true / --insecure)");
    }
  }
  return Status::Ok();
}

Status CheckWorkerKeyFiles(const WorkerConfig& config, const std::string& source, std::vector<std::string>* warnings) {
  if (config.insecure) return Status::Ok();
  const KeyFilePermissions permissions =
      config.allow_insecure_key_permissions ? KeyFilePermissions::kWarnIfOpen : KeyFilePermissions::kRefuseOpen;
  std::string warning;
  Result<CurveKeyPair> keys = LoadCurveKeyFile(config.secret_key_file, permissions, &warning);
  if (!warning.empty()) warnings->push_back(warning);
  if (!keys.ok()) return keys.status();
  if (keys->secret_key.empty()) return Status::InvalidArgument(config.secret_key_file + ": key secret_key: missing");
  if (IsValidCurveKey(config.controller_public_key)) return Status::Ok();
  warning.clear();
  Result<CurveKeyPair> pub = LoadCurveKeyFile(config.controller_public_key, permissions, &warning);
  if (!warning.empty()) warnings->push_back(warning);
  if (!pub.ok()) {
    return Status::InvalidArgument(
        source + ": key security.controller_public_key: neither a Z85 key nor a key file: " + pub.status().message());
  }
  return Status::Ok();
}

}  // namespace barrage

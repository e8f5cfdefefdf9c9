#include "cli/token_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/exit_codes.h"
#include "controller/results_store.h"

namespace barrage {
namespace {

std::string UtcTime(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

// Store messages name the field ("name: ..."); on the command line it is a flag.
std::string AsFlag(const std::string& message) {
  for (const char* field : {"name: ", "project: "}) {
    if (message.rfind(field, 0) == 0) return "--" + message;
  }
  return message;
}

int ExitFor(const Status& st) {
  return st.code() == Status::Code::kInvalidArgument || st.code() == Status::Code::kNotFound ? kExitUsage
                                                                                             : kExitRuntimeFailure;
}

int Fail(const Status& st) {
  std::cerr << "barrage: " << AsFlag(st.message()) << "\n";
  return ExitFor(st);
}

int Create(const TokenCommandOptions& o) {
  Result<TokenStore> store = TokenStore::Open(o.db_path, /*must_exist=*/false);
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  Result<NewToken> t = store->Create(o.project, o.name, *ParseTokenRole(o.role), CurrentOsUser());
  if (!t.ok()) return Fail(t.status());
  std::cout << t->token << "\n";
  std::cerr << "barrage: created " << o.role << " token '" << o.name << "' in project '" << o.project
            << "'; keep it now, it is not shown again\n";
  return kExitOk;
}

int List(const TokenCommandOptions& o) {
  Result<TokenStore> store = TokenStore::Open(o.db_path, /*must_exist=*/true);
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  Result<std::vector<TokenRecord>> tokens = store->List(o.project);
  if (!tokens.ok()) return Fail(tokens.status());
  if (o.format == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const TokenRecord& r : *tokens) all.push_back(TokenRecordJson(r));
    std::cout << all.dump(2) << "\n";
  } else if (tokens->empty()) {
    std::cout << (o.project.empty() ? std::string("no tokens") : "no tokens in project '" + o.project + "'") << "\n";
  } else {
    std::cout << RenderTokensText(*tokens);
  }
  return kExitOk;
}

int Revoke(const TokenCommandOptions& o) {
  Result<TokenStore> store = TokenStore::Open(o.db_path, /*must_exist=*/true);
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  Result<TokenRecord> r = store->Revoke(o.project, o.name, CurrentOsUser());
  if (!r.ok()) return Fail(r.status());
  std::cout << "barrage: revoked " << TokenRoleName(r->role) << " token '" << r->name << "' in project '" << r->project
            << "'\n";
  return kExitOk;
}

}  // namespace

std::string RenderTokensText(const std::vector<TokenRecord>& tokens) {
  std::vector<std::vector<std::string>> rows = {
      {"PROJECT", "NAME", "ROLE", "STATUS", "CREATED", "CREATED_BY", "LAST_USED"}};
  for (const TokenRecord& r : tokens) {
    rows.push_back({r.project, r.name, std::string(TokenRoleName(r.role)),
                    r.revoked_at_ms ? "revoked " + UtcTime(*r.revoked_at_ms) : "active", UtcTime(r.created_at_ms),
                    r.created_by, r.last_used_at_ms ? UtcTime(*r.last_used_at_ms) : "-"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      out << (c ? "  " : "") << row[c];
      if (c + 1 < row.size()) out << std::string(width[c] - row[c].size(), ' ');
    }
    out << "\n";
  }
  return out.str();
}

void AddTokenCommand(CLI::App& app, TokenCommand* state) {
  TokenCommandOptions& o = state->options;
  state->token = app.add_subcommand("token", "Create, list and revoke the API tokens of `barrage serve`");
  state->token->require_subcommand(1);
  const auto roles = CLI::IsMember({"viewer", "tester", "admin"});

  state->create = state->token->add_subcommand("create", "Create a token and print it (once: only its hash is kept)");
  state->create->add_option("--project", o.project, "project the token works in (created when missing)")->required();
  state->create->add_option("--role", o.role, "viewer, tester or admin")->required()->check(roles);
  state->create->add_option("--name", o.name, "a name for the token, unique among the project's active tokens")
      ->required();
  state->create->add_option("--db", o.db_path,
                            "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");

  state->list = state->token->add_subcommand("list", "List tokens (never their secrets)");
  state->list->add_option("--project", o.project, "only this project's tokens");
  state->list->add_option("--format", o.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  state->list->add_option("--db", o.db_path,
                          "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");

  state->revoke = state->token->add_subcommand("revoke", "Revoke a token: it stops working at once");
  state->revoke->add_option("NAME", o.name, "the token's name")->required();
  state->revoke->add_option("--project", o.project, "the token's project")->required();
  state->revoke->add_option("--db", o.db_path,
                            "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
}

int RunTokenCommand(const TokenCommand& state) {
  if (state.create->parsed()) return Create(state.options);
  if (state.list->parsed()) return List(state.options);
  if (state.revoke->parsed()) return Revoke(state.options);
  return kExitUsage;
}

}  // namespace barrage

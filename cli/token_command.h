// `barrage token create|list|revoke`: the API tokens of `barrage serve` (service/tokens.h) in a
// results store, from the bastion's shell.
//
//   barrage token create --project P --role viewer|tester|admin --name N [--db PATH]
//       prints the token (alone on stdout, once: the store keeps only its SHA-256) and on
//       stderr what was created; the project is created when missing.
//   barrage token list [--project P] [--format text|json] [--db PATH]
//       every token (of P), revoked ones too; never a secret. A missing store is an error.
//   barrage token revoke --project P NAME [--db PATH]
//
// Exit codes (common/exit_codes.h): 0 done; 2 bad arguments (the message names the flag), a
// name already taken, no such token; 1 the store cannot be opened or written.
#ifndef BARRAGE_CLI_TOKEN_COMMAND_H_
#define BARRAGE_CLI_TOKEN_COMMAND_H_

#include <string>
#include <vector>

#include "service/tokens.h"

namespace CLI {
class App;
}  // namespace CLI

namespace barrage {

struct TokenCommandOptions {
  std::string db_path = "barrage.db";
  std::string project;
  std::string role;
  std::string name;
  std::string format = "text";
};

// The `token` subcommand of `app` and its three subcommands; parsing fills *state.
struct TokenCommand {
  CLI::App* token = nullptr;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;
  TokenCommandOptions options;
};
void AddTokenCommand(CLI::App& app, TokenCommand* state);

// Runs whichever subcommand was parsed; returns the exit code.
int RunTokenCommand(const TokenCommand& state);

// The table `token list` prints: PROJECT NAME ROLE STATUS CREATED CREATED_BY LAST_USED, times
// in UTC ("2026-01-01 00:00:00Z"), "-" for never used, STATUS "active" or "revoked <time>".
std::string RenderTokensText(const std::vector<TokenRecord>& tokens);

}  // namespace barrage

#endif  // BARRAGE_CLI_TOKEN_COMMAND_H_

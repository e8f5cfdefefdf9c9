// The `barrage-worker` command line (the daemon that runs load for a controller).
#ifndef BARRAGE_WORKER_WORKER_CLI_H_
#define BARRAGE_WORKER_WORKER_CLI_H_

namespace barrage {

// Returns the process exit code.
int RunWorkerCli(int argc, char** argv);

}  // namespace barrage

#endif  // BARRAGE_WORKER_WORKER_CLI_H_

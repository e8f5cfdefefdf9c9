// Uploaded plans of `barrage serve` (issue 13: POST /api/v1/projects/{p}/plans): a plan
// version is the .jmx and the data files uploaded with it. The .jmx and its metadata are a
// test definition of the results store (ResultsStore::PutDefinition); the data files' bytes
// are kept once each under `data_dir/files/<sha256>` and listed per definition.
//
// Versions: the content's identity is the .jmx's SHA-256 when no data file comes with it
// (the same definition a command-line run of that .jmx records), otherwise the SHA-256 of
// "barrage-upload-1\n<jmx sha256>\n" followed by "<name> <sha256>\n" per file in name order:
// the same plan with other data is another version; the same upload again is the same one.
//
// A run of a version gets its own folder, `data_dir/runs/<id>/`, holding the plan under
// its name and the data files at the relative paths they were uploaded as (hard links to
// the kept bytes, copies where links fail), so the plan finds them as on the author's disk.
//
// Threads: the functions are thread-safe as ResultsStore is; two uploads of the same bytes
// at once write the same file (rename is atomic).
#ifndef BARRAGE_SERVICE_PLAN_STORE_H_
#define BARRAGE_SERVICE_PLAN_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "controller/results_store.h"

namespace barrage {

struct PlanUpload {
  std::string name;  // the plan's file name ("shop.jmx")
  std::string jmx;
  std::vector<std::pair<std::string, std::string>> files;  // (relative path, bytes)
};

// InvalidArgument naming `field` unless `name` is a relative path of plain segments (no
// "", ".", ".." segment, no backslash or NUL): "data: file name \"../x\" must be a relative
// path inside the plan's folder".
Status CheckUploadName(const std::string& field, const std::string& name);

// The identity of a plan with these data files (see above).
std::string UploadSha256(const std::string& jmx, const std::vector<DefinitionFile>& files);

// Checks the upload (names; the plan parses and compiles, its errors name the plan's line;
// no two files share a name), keeps the data files' bytes under data_dir and stores the
// version in `store`'s project. InvalidArgument for the upload's faults (the API's 400),
// other codes for the store's and the disk's.
Result<DefinitionRecord> StorePlanUpload(ResultsStore& store, const std::string& data_dir, const PlanUpload& upload);

// Makes `data_dir/runs/<run_id>/` with the plan (bytes `jmx`, named definition.name) and
// the definition's data files; the plan's path.
Result<std::string> MakeRunFolder(const std::string& data_dir, int64_t run_id, const DefinitionRecord& definition,
                                  const std::string& jmx);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_PLAN_STORE_H_

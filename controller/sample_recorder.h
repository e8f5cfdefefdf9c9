// The two records a run keeps of its samples, the JTL file (-l, optional) and the results
// store, kept as independent sinks: a failure of one never keeps a batch from the other.
// After the store fails (disk full, I/O error, a lock held past its timeout) the JTL still
// receives every sample, and after the JTL fails the store does.
//
// The first failure of either sink is the run's failure: it is printed to stderr at once,
// naming the file and the error, and the owner stops the run (gracefully while a sink
// still records, at once when none does), records the execution `errored` and exits 1.
//
// Not thread-safe: one thread owns it (the engine's collector thread in a local run, the
// run loop in a cluster run).
#ifndef BARRAGE_CONTROLLER_SAMPLE_RECORDER_H_
#define BARRAGE_CONTROLLER_SAMPLE_RECORDER_H_

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "controller/jtl_writer.h"
#include "controller/results_store.h"

namespace barrage {

class SampleRecorder {
 public:
  // `jtl` may be null (no JTL). Both, and `err` (where failures are printed), must outlive
  // the recorder.
  SampleRecorder(JtlWriter* jtl, ResultsStore* store, std::ostream& err = std::cerr)
      : jtl_(jtl), store_(store), err_(err) {}

  // Writes `samples` to the JTL, then queues them in the store (moved out). False when
  // neither sink took them.
  bool Record(std::vector<Sample>&& samples, int32_t worker_id);

  // To be called about once a second even when no samples arrive: flushes the JTL when
  // its flush interval has passed and picks up a failure the store's writer thread hit
  // since the last call.
  void Poll();

  // True once either sink has failed.
  bool failed() const { return !jtl_error_.ok() || !store_error_.ok(); }
  // True while at least one sink records samples.
  bool recording() const { return (jtl_ && jtl_error_.ok()) || store_error_.ok(); }
  // The first error of each sink (Ok while it works).
  const Status& jtl_error() const { return jtl_error_; }
  const Status& store_error() const { return store_error_; }

 private:
  void KeepJtlError(Status s);
  void KeepStoreError(Status s);

  JtlWriter* jtl_;
  ResultsStore* store_;
  std::ostream& err_;
  Status jtl_error_;
  Status store_error_;
};

// The end of a run's errors on `err` ("barrage: MESSAGE"), each once: a record that
// failed was printed when it failed, and the store repeats its error on every later call.
class RunErrors {
 public:
  explicit RunErrors(const SampleRecorder& recorder, std::ostream& err = std::cerr)
      : err_(err), printed_{recorder.jtl_error().message(), recorder.store_error().message()} {}
  // Prints `error` unless a message like it was printed already.
  void Print(const Status& error);

 private:
  std::ostream& err_;
  std::vector<std::string> printed_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_SAMPLE_RECORDER_H_

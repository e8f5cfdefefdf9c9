#include "controller/sample_recorder.h"

#include <algorithm>
#include <iostream>
#include <utility>

namespace barrage {
namespace {

constexpr char kNothingRecords[] = "stopping the run now: nothing records its samples any more";

}  // namespace

bool SampleRecorder::Record(std::vector<Sample>&& samples, int32_t worker_id) {
  bool recorded = false;
  if (jtl_ && jtl_error_.ok()) {
    KeepJtlError(jtl_->Write(samples));
    recorded = jtl_error_.ok();
  }
  if (store_error_.ok()) {
    KeepStoreError(store_->Append(std::move(samples), worker_id));
    recorded = recorded || store_error_.ok();
  }
  return recorded;
}

void SampleRecorder::Poll() {
  if (jtl_ && jtl_error_.ok()) KeepJtlError(jtl_->FlushIfDue());
  if (store_error_.ok()) KeepStoreError(store_->error());
}

void SampleRecorder::KeepJtlError(Status s) {
  if (s.ok() || !jtl_error_.ok()) return;
  jtl_error_ = std::move(s);
  err_ << "barrage: the JTL failed (" << jtl_error_.message() << "): "
       << (store_error_.ok() ? "stopping the run; every sample goes on to the results store " + store_->path()
                             : std::string(kNothingRecords))
       << "\n"
       << std::flush;
}

void SampleRecorder::KeepStoreError(Status s) {
  if (s.ok() || !store_error_.ok()) return;
  store_error_ = std::move(s);
  err_ << "barrage: the results store " << store_->path() << " failed (" << store_error_.message() << "): "
       << (jtl_ && jtl_error_.ok() ? "stopping the run; every sample goes on to the JTL " + jtl_->path()
                                   : std::string(kNothingRecords))
       << "\n"
       << std::flush;
}

void RunErrors::Print(const Status& error) {
  if (std::find(printed_.begin(), printed_.end(), error.message()) != printed_.end()) return;
  err_ << "barrage: " << error.message() << "\n";
  printed_.push_back(error.message());
}

}  // namespace barrage

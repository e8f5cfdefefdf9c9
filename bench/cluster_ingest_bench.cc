// Cluster ingest benchmark: how many samples per second the controller's ingest path takes
// from W workers over ZeroMQ on loopback — ROUTER receive, FlatBuffers verification,
// SampleBatch decode, (worker, seq) dedup, BatchAck — and where the samples go: nowhere
// (--sink none, the protocol path alone) or the SQLite results store (--sink store, as in
// `barrage run --workers`).
//
//   cluster_ingest_bench [--workers W] [--samples N] [--batch B] [--sink none|store] [--db PATH]
//
// The workers are threads of this process speaking the real protocol (Hello, Ready, then
// their pre-encoded batches as fast as the socket takes them, Finished once all are
// acknowledged); their batches are encoded before the clock starts. The controller side is
// ClusterCoordinator on ZmqRouterTransport on the main thread, exactly as cluster_run.cc
// drives it. Reported: samples/s from the first batch received to the run's end (every
// batch acknowledged, every Finished in, the store's Finish() done), the controller
// thread's CPU per sample, and the process CPU per sample (workers and store writer
// included).
#include <sys/resource.h>
#include <time.h>

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/protocol.h"
#include "common/wire.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_transport.h"
#include "controller/results_store.h"

namespace {

using namespace barrage;

struct Args {
  int workers = 4;
  int64_t samples = 2'000'000;  // in all
  int batch = 2000;
  std::string sink = "none";
  std::string db = "/tmp/barrage-cluster-ingest-bench.db";
};

double ThreadCpuS() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double ProcessCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Sample MakeSample(int64_t i, const std::string& worker) {
  Sample s;
  s.timestamp_ms = 1795705931000 + i / 10;
  s.elapsed_us = 1000 + (i * 7919) % 250'000;
  s.latency_us = s.elapsed_us - 300;
  s.connect_us = i % 50 == 0 ? 850 : 0;
  s.bytes = 331 + i % 1000;
  s.sent_bytes = 118;
  s.grp_threads = 100;
  s.all_threads = 100;
  s.success = i % 20 != 0;
  const int label = static_cast<int>(i % 20);
  s.label = "GET /api/items/" + std::to_string(label);
  s.response_code = s.success ? "200" : "500";
  s.response_message = s.success ? "OK" : "Internal Server Error";
  s.thread_name = worker + "-Thread Group 1-" + std::to_string(i % 100 + 1);
  s.data_type = "text";
  if (!s.success) s.failure_message = "Test failed: code expected to equal /200/";
  s.url = "https://shop.example.com:8443/api/items/" + std::to_string(label) + "?page=1";
  return s;
}

// One fake worker: registers, loads, then sends `batches` and waits for every ack.
void RunWorker(const std::string& endpoint, const std::string& name, const std::vector<std::string>* batches,
               uint64_t samples, std::atomic<bool>* failed) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::routing_id, name);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.connect(endpoint);
  std::string run_id;
  HelloMessage hello;
  hello.name = name;
  hello.host = "bench";
  socket.send(zmq::buffer(EncodeHello("", hello)), zmq::send_flags::none);
  size_t next = 0, acked = 0;
  bool started = false;
  const int64_t give_up = MonotonicMicros() + 120'000'000;
  while (acked < batches->size() && MonotonicMicros() < give_up) {
    // Send while the socket takes batches; read whatever came back.
    while (started && next < batches->size()) {
      if (!socket.send(zmq::buffer((*batches)[next]), zmq::send_flags::dontwait)) break;
      ++next;
    }
    std::vector<zmq::pollitem_t> items = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, std::chrono::milliseconds(started && next < batches->size() ? 0 : 50));
    zmq::message_t m;
    while (socket.recv(m, zmq::recv_flags::dontwait)) {
      const proto::Envelope* e = VerifyEnvelope(m.data(), m.size());
      if (e == nullptr) continue;
      switch (e->body_type()) {
        case proto::Body::LoadPlan:
          run_id = std::string(RunIdOf(*e));
          socket.send(zmq::buffer(EncodeReady(run_id, {true, ""})), zmq::send_flags::none);
          break;
        case proto::Body::Start: {
          Result<const proto::Start*> start = BodyOf<proto::Start>(*e);
          if (!start.ok()) break;
          int64_t at = DecodeStart(**start).start_at_us;
          while (WallMicros() < at) std::this_thread::sleep_for(std::chrono::microseconds(200));
          started = true;
          break;
        }
        case proto::Body::BatchAck: ++acked; break;
        case proto::Body::Reject:
          if (Result<const proto::Reject*> reject = BodyOf<proto::Reject>(*e); reject.ok()) {
            std::fprintf(stderr, "%s rejected: %s\n", name.c_str(), DecodeReject(**reject).reason.c_str());
          }
          *failed = true;
          return;
        default: break;
      }
    }
  }
  if (acked < batches->size()) {
    std::fprintf(stderr, "%s: only %zu of %zu batches acknowledged\n", name.c_str(), acked, batches->size());
    *failed = true;
  }
  socket.send(zmq::buffer(EncodeFinished(run_id, {samples, batches->size(), 0, 0})), zmq::send_flags::none);
  // Let the Finished leave before the socket closes (linger 0 would drop it).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

class BenchSink : public CoordinatorListener {
 public:
  explicit BenchSink(ResultsStore* store) : store_(store) {}
  Status OnSamples(const ClusterWorker& worker, std::vector<Sample>&& samples) override {
    if (first_us_ == 0) first_us_ = MonotonicMicros();
    received_ += samples.size();
    if (store_) return store_->Append(std::move(samples), worker.worker_id);
    return Status::Ok();
  }
  void OnLog(const std::string& line) override {
    if (line.find("registered") == std::string::npos) std::fprintf(stderr, "controller: %s\n", line.c_str());
  }
  int64_t first_us_ = 0;
  uint64_t received_ = 0;

 private:
  ResultsStore* store_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--workers") {
      args.workers = std::atoi(next().c_str());
    } else if (a == "--samples") {
      args.samples = std::atoll(next().c_str());
    } else if (a == "--batch") {
      args.batch = std::atoi(next().c_str());
    } else if (a == "--sink") {
      args.sink = next();
    } else if (a == "--db") {
      args.db = next();
    } else {
      std::fprintf(stderr,
                   "usage: cluster_ingest_bench [--workers W] [--samples N] [--batch B] [--sink none|store] "
                   "[--db PATH]\n");
      return 2;
    }
  }
  if (args.workers < 1 || args.batch < 1 || args.samples < args.workers ||
      (args.sink != "none" && args.sink != "store")) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }

  ZmqTransportOptions to;
  to.bind = "tcp://127.0.0.1:*";
  to.insecure = true;
  Result<std::unique_ptr<ZmqRouterTransport>> transport = ZmqRouterTransport::Open(to);
  if (!transport.ok()) {
    std::fprintf(stderr, "%s\n", transport.status().message().c_str());
    return 1;
  }

  // Every worker's batches, encoded before the clock starts.
  const int64_t per_worker = args.samples / args.workers;
  std::vector<std::vector<std::string>> batches(static_cast<size_t>(args.workers));
  uint64_t encoded_bytes = 0;
  for (int w = 0; w < args.workers; ++w) {
    std::string name = "w" + std::to_string(w + 1);
    uint64_t seq = 0;
    for (int64_t i = 0; i < per_worker; i += args.batch) {
      std::vector<Sample> batch;
      for (int64_t k = i; k < std::min<int64_t>(per_worker, i + args.batch); ++k) batch.push_back(MakeSample(k, name));
      // The run id is known once the controller is up; it is fixed below.
      batches[static_cast<size_t>(w)].push_back(
          EncodeSampleBatch("bench-run", static_cast<uint32_t>(w + 1), seq++, batch));
      encoded_bytes += batches[static_cast<size_t>(w)].back().size();
    }
  }

  std::optional<ResultsStore> store;
  if (args.sink == "store") {
    std::filesystem::remove(args.db);
    std::filesystem::remove(args.db + "-wal");
    std::filesystem::remove(args.db + "-shm");
    Result<ResultsStore> s = ResultsStore::Open(args.db);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().message().c_str());
      return 1;
    }
    store.emplace(std::move(s).value());
    ExecutionInfo info;
    info.plan_path = "bench.jmx";
    info.plan_name = "bench";
    info.started_at_ms = WallMicros() / 1000;
    if (Result<int64_t> e = store->BeginExecution(info); !e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().message().c_str());
      return 1;
    }
  }

  CoordinatorOptions options;
  options.run_id = "bench-run";
  options.expected_workers = args.workers;
  options.start_margin_us = 100'000;
  ClusterPlan plan;
  plan.plan_name = "bench.jmx";
  plan.plan_bytes = "<jmeterTestPlan/>";
  BenchSink sink(store ? &*store : nullptr);
  ClusterCoordinator coordinator(options, plan, transport->get(), &sink, {MonotonicMicros(), WallMicros()});

  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < args.workers; ++w) {
    workers.emplace_back(RunWorker, (*transport)->endpoint(), "w" + std::to_string(w + 1),
                         &batches[static_cast<size_t>(w)], static_cast<uint64_t>(per_worker), &failed);
  }

  double cpu0 = 0, proc0 = 0;
  bool measuring = false;
  const int64_t give_up = MonotonicMicros() + 180'000'000;
  InboundMessage m;
  while (!coordinator.done() && MonotonicMicros() < give_up) {
    for (int i = 0; i < 2000; ++i) {
      if (!(*transport)->Receive(std::chrono::milliseconds(i == 0 ? 20 : 0), &m)) break;
      coordinator.OnMessage(m, {MonotonicMicros(), WallMicros()});
      if (!measuring && sink.first_us_ != 0) {
        measuring = true;
        cpu0 = ThreadCpuS();
        proc0 = ProcessCpuS();
      }
    }
    coordinator.OnTick({MonotonicMicros(), WallMicros()});
  }
  if (store) {
    if (Status s = store->Finish(ExecutionStatus::kPassed, WallMicros() / 1000); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      failed = true;
    }
  }
  const int64_t end_us = MonotonicMicros();
  const double cpu = ThreadCpuS() - cpu0;
  const double proc = ProcessCpuS() - proc0;
  for (std::thread& t : workers) t.join();
  if (store) (void)store->Close();

  const uint64_t expected = static_cast<uint64_t>(per_worker) * static_cast<uint64_t>(args.workers);
  const double seconds = static_cast<double>(end_us - sink.first_us_) / 1e6;
  uint64_t duplicates = 0, lost = 0;
  for (const ClusterWorker* w : coordinator.workers()) {
    duplicates += w->duplicate_batches;
    lost += w->samples_lost();
  }
  std::printf(
      "%d workers, %llu samples in batches of %d (%.1f bytes/sample on the wire), sink %s: "
      "%llu received, %llu lost, %llu duplicate batches, status %s\n"
      "%.3f s: %.0f samples/s; controller thread %.3f s CPU = %.2f us/sample; process %.3f s CPU = %.2f us/sample\n",
      args.workers, static_cast<unsigned long long>(expected), args.batch,
      static_cast<double>(encoded_bytes) / static_cast<double>(expected), args.sink.c_str(),
      static_cast<unsigned long long>(sink.received_), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(duplicates),
      coordinator.done() ? std::string(ExecutionStatusName(coordinator.outcome().status)).c_str() : "unfinished",
      seconds, static_cast<double>(sink.received_) / seconds, cpu, cpu * 1e6 / static_cast<double>(sink.received_),
      proc, proc * 1e6 / static_cast<double>(sink.received_));
  return failed || sink.received_ != expected ? 1 : 0;
}

#pragma once
// stepd's HTTP server: the AWS Step Functions JSON 1.0 API, the native execution endpoints and
// health checks, on Boost.Beast.
//
// N workers, each a thread with its own io_context and its own SO_REUSEPORT acceptor: a
// connection and the executions it starts stay on one thread for life, so the hot path takes
// no lock. Executions never block a worker: Wait states and back-off become timers, and a
// long run of states yields to the other connections every few dozen transitions.
//
// This header keeps asio out of its includers; all of Beast lives in server.cc.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "metrics/service_metrics.h"
#include "service/api/control_plane.h"

namespace stepd::logs {
class LogStore;
class LogsApi;
}  // namespace stepd::logs

namespace stepd::service {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8083;  // 0: any free port (see Server::port())
  unsigned threads = 0;       // 0: one per core
  // Request bodies: AWS's 1 MB for API calls and single executions; more for NDJSON batches.
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_batch_body_bytes = 64 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds header_timeout{10};  // a request's header must arrive within this
  std::chrono::seconds body_timeout{60};    // ... and its body within this
  std::chrono::seconds idle_timeout{120};   // keep-alive connections with nothing to say
  // Asynchronous executions (StartExecution) accepted and not yet finished; beyond it callers
  // get ThrottlingException.
  std::size_t max_async_executions = 10'000;
  std::chrono::seconds drain_timeout{30};
  bool handle_signals = true;  // SIGINT/SIGTERM begin a graceful shutdown
};

// What a shutdown finished and what it gave up on.
struct DrainReport {
  std::uint64_t async_completed_while_draining = 0;
  std::uint64_t async_abandoned = 0;
  std::uint64_t requests_abandoned = 0;  // requests still being answered at the timeout
  bool timed_out = false;
};

class Server {
 public:
  Server(ServerOptions options, ControlPlane& control_plane, metrics::ServiceMetrics& metrics,
         logs::LogStore& log_store, logs::LogsApi& logs_api);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Binds the listening sockets. Returns the error text when it cannot.
  std::optional<std::string> Listen();
  std::uint16_t port() const;
  unsigned threads() const;

  // Serves until Shutdown() (or a signal), then drains: stops accepting, finishes the requests
  // in progress and the queued asynchronous executions within the drain timeout.
  DrainReport Run();

  // Thread-safe; may be called before or during Run().
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::service

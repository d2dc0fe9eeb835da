#include "service/server/server.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "service/api/arn.h"
#include "service/api/executions.h"
#include "service/api/request.h"
#include "service/api/test_state.h"
#include "service/logs/execution_logger.h"
#include "service/logs/log_store.h"
#include "service/logs/logs_api.h"

namespace stepd::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
// Transitions an execution runs before it lets the worker's other connections go first.
constexpr std::uint32_t kStepBudget = 64;
constexpr std::string_view kSfnTargetPrefix = "AWSStepFunctions.";
constexpr std::string_view kLogsTargetPrefix = "Logs_20140328.";
constexpr std::string_view kNativePrefix = "/v1/state-machines/";
constexpr std::string_view kTaskUnsupportedCause =
    "stepd has no integration for this Task resource yet";

// Request-counter slots of the requests that are not AWS actions.
constexpr std::size_t kActionOther = metrics::ServiceMetrics::ApiActionIndex("other");
constexpr std::size_t kActionLogs = metrics::ServiceMetrics::ApiActionIndex("logs");
constexpr std::size_t kActionMetrics = metrics::ServiceMetrics::ApiActionIndex("metrics");
constexpr std::size_t kActionHealth = metrics::ServiceMetrics::ApiActionIndex("health");
constexpr std::size_t kActionNotFound = metrics::ServiceMetrics::ApiActionIndex("not_found");
constexpr std::size_t kActionNativeSync = metrics::ServiceMetrics::ApiActionIndex("native_sync");
constexpr std::size_t kActionNativeBatch = metrics::ServiceMetrics::ApiActionIndex("native_batch");

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// An HTTP response as stepd writes it: status, a few headers, a body.
struct Response {
  unsigned status = 200;
  std::string_view content_type = "application/x-amz-json-1.0";
  std::string error_type;  // x-amzn-ErrorType, for AWS errors
  bool chunked = false;    // the body follows in chunks (NDJSON batches)
  std::size_t action = 0;  // index in metrics::kApiActions, for the request counter
  std::string body;
};

std::string_view Reason(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

// The Date header, formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[40];
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached_second = now;
  }
  return {text, length};
}

void AppendHead(const Response& response, bool keep_alive, std::string& out) {
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += Reason(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  if (response.chunked) {
    out += "\r\nTransfer-Encoding: chunked";
  } else {
    out += "\r\nContent-Length: ";
    out += std::to_string(response.body.size());
  }
  out += "\r\nx-amzn-RequestId: ";
  out += RandomUuid().view();
  if (!response.error_type.empty()) {
    out += "\r\nx-amzn-ErrorType: ";
    out += response.error_type;
  }
  out += "\r\nDate: ";
  out += HttpDate();
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
}

void SetError(const ApiError& error, Response& response) {
  response.status = error.status;
  response.error_type = error.code;
  response.body.clear();
  AppendErrorBody(error, response.body);
}

// What an action handler answered: its body, its error, or nothing when it does not know the
// action.
void SetAnswer(std::optional<ApiResult<std::string>> answer, std::string_view action,
               Response& response) {
  if (!answer) {
    SetError(UnknownOperation(action), response);
  } else if (!*answer) {
    SetError(answer->error(), response);
  } else {
    response.body = std::move(answer->value());
  }
}

// The path of an origin-form or absolute-form request target, without the query.
std::string_view TargetPath(std::string_view target) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const std::size_t authority = target.find("//") + 2;
    const std::size_t slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

std::string_view ToView(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

// Writes a slot's executions to the log group their state machine's loggingConfiguration
// names: one batch per execution, appended when it ends.
class ExecutionLog final : public ExecutionObserver {
 public:
  ExecutionLog(logs::LogStore& store, std::uint32_t stream_id)
      : store_(store), logger_(stream_id) {}

  runtime::EventSink* OnStart(const StateMachineRecord& machine,
                              std::string_view execution_arn) override {
    active_ = machine.logging.enabled();
    if (!active_) {
      return nullptr;  // level OFF costs nothing
    }
    logger_.Reset(machine.logging, machine.name, execution_arn, machine.role_arn);
    return &logger_;
  }

  void OnEnd() override {
    if (active_) {
      logger_.Flush(store_);
      active_ = false;
    }
  }

 private:
  logs::LogStore& store_;
  logs::ExecutionLogger logger_;
  bool active_ = false;
};

using SteadyTime = std::chrono::steady_clock::time_point;

// One client connection. Its deadline is checked by its worker's sweep rather than by a timer
// per read and write: arming and cancelling timers cost more than the request itself.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  SteadyTime deadline = SteadyTime::max();  // closed by the sweep once past this
  bool idle = false;                        // waiting for a request: closed on shutdown

  void ExpireAfter(std::chrono::seconds timeout) {
    deadline = std::chrono::steady_clock::now() + timeout;
  }
  void NeverExpire() { deadline = SteadyTime::max(); }
};

// How often a worker looks for connections past their deadline: timeouts fire up to this late.
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

// One thread's share of the server: its event loop, acceptor and reusable buffers.
struct Worker {
  Worker(const Registry& registry, logs::LogStore& store)
      : io(1), acceptor(io), machines(registry), log_store(store) {}

  net::io_context io;
  tcp::acceptor acceptor;
  Registry::Reader machines;
  RequestBody request_body;
  std::vector<std::unique_ptr<ExecutionSlot>> free_slots;
  std::list<Connection*> connections;
  logs::LogStore& log_store;

  // Closes the connections past their deadline; their pending operation then fails.
  void CloseExpired(SteadyTime now) {
    beast::error_code ignored;
    for (Connection* connection : connections) {
      if (connection->deadline <= now) {
        connection->socket.close(ignored);
      }
    }
  }

  std::unique_ptr<ExecutionSlot> TakeSlot() {
    if (free_slots.empty()) {
      // Each slot writes its own log streams (their names end in the slot's number).
      static std::atomic<std::uint32_t> next_stream_id{0};
      auto slot = std::make_unique<ExecutionSlot>();
      slot->observer = std::make_unique<ExecutionLog>(
          log_store, next_stream_id.fetch_add(1, std::memory_order_relaxed));
      return slot;
    }
    std::unique_ptr<ExecutionSlot> slot = std::move(free_slots.back());
    free_slots.pop_back();
    return slot;
  }
  void ReturnSlot(std::unique_ptr<ExecutionSlot> slot) {
    slot->Release();
    free_slots.push_back(std::move(slot));
  }
};

struct Server::Impl {
  Impl(ServerOptions opts, ControlPlane& cp, metrics::ServiceMetrics& m, logs::LogStore& store,
       logs::LogsApi& logs)
      : options(std::move(opts)), control_plane(cp), metrics(m), log_store(store), logs_api(logs) {
    if (options.threads == 0) {
      options.threads = std::max(1u, std::thread::hardware_concurrency());
    }
    for (unsigned i = 0; i < options.threads; ++i) {
      workers.push_back(std::make_unique<Worker>(control_plane.registry(), log_store));
    }
  }

  ServerOptions options;
  ControlPlane& control_plane;
  metrics::ServiceMetrics& metrics;
  logs::LogStore& log_store;
  logs::LogsApi& logs_api;
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint16_t bound_port = 0;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> async_in_flight{0};
  std::atomic<std::uint64_t> async_completed{0};
  std::atomic<std::size_t> sessions_open{0};
  std::atomic<std::size_t> listeners_open{0};  // workers whose acceptor the drain has not closed
  std::atomic<std::size_t> sessions_busy{0};   // between reading a request and answering it
  std::mutex shutdown_mutex;
  // Run()'s loop. It exists from the start so that the signals are caught from Listen() on: a
  // SIGTERM right after the server said it listens is a drain, not the default death.
  net::io_context control{1};
  net::signal_set signals{control};
  net::io_context* control_io = nullptr;  // `control` while Run() runs, for Shutdown() to post to
  std::function<void()> request_drain;    // starts the drain on that loop

  std::optional<std::string> Listen();
  net::awaitable<void> Accept(Worker& worker);
  net::awaitable<void> Sweep(Worker& worker);
  net::awaitable<void> Session(Worker& worker, tcp::socket socket);
  net::awaitable<void> Handle(Worker& worker, http::request<http::string_body>& request,
                              Response& response, Connection& connection, bool keep_alive);
  net::awaitable<void> HandleAws(Worker& worker, std::string_view action, std::string_view body,
                                 Response& response);
  net::awaitable<void> HandleNative(Worker& worker, std::string_view path, std::string_view body,
                                    Response& response, Connection& connection, bool keep_alive);
  net::awaitable<void> RunAsync(Worker& worker, std::unique_ptr<ExecutionSlot> slot);
  void CountThrottled(Worker& worker);
  void HandleLogs(Worker& worker, std::string_view action, std::string_view body,
                  Response& response);
  void PublishLogCounters();
  void BeginDrain();
};

// Runs an execution to its end without ever blocking the thread: Step() in slices, timers for
// Wait states and back-off, Task states answered at once (no integrations yet).
static net::awaitable<void> Drive(ExecutionSlot& slot, metrics::ServiceMetrics& service_metrics) {
  runtime::Execution& execution = *slot.execution;
  metrics::MachineMetrics* machine_metrics = slot.machine->metrics.get();
  if (machine_metrics != nullptr) {
    machine_metrics->started.fetch_add(1, std::memory_order_relaxed);
  }
  service_metrics.executions_in_flight.fetch_add(1, std::memory_order_relaxed);
  std::optional<net::steady_timer> timer;
  for (;;) {
    const runtime::UnixNanos now = NowUnixNanos();
    const runtime::StepOutcome outcome = execution.Step(now, kStepBudget);
    bool answered = false;
    for (const runtime::TaskRequest& task : execution.TakeTaskRequests()) {
      execution.FailTask(task.ticket, "States.TaskFailed", kTaskUnsupportedCause);
      answered = true;
      if (machine_metrics != nullptr) {
        metrics::TaskMetrics& task_metrics =
            machine_metrics->task(metrics::ClassifyResource(task.resource));
        task_metrics.invocations.fetch_add(1, std::memory_order_relaxed);
        task_metrics.errors.fetch_add(1, std::memory_order_relaxed);
        task_metrics.duration.Observe(0);
      }
    }
    if (outcome.kind == runtime::StepKind::kDone) {
      break;
    }
    if (answered) {
      continue;
    }
    if (outcome.kind == runtime::StepKind::kBlocked && outcome.wake_at) {
      if (!timer) {
        timer.emplace(co_await net::this_coro::executor);
      }
      timer->expires_after(std::chrono::nanoseconds(
          std::max<runtime::UnixNanos>(0, *outcome.wake_at - NowUnixNanos())));
      co_await timer->async_wait(kUseTuple);
    } else {
      co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    }
  }
  slot.stop_time = NowUnixNanos();
  if (slot.observer) {
    slot.observer->OnEnd();
  }
  service_metrics.executions_in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (machine_metrics != nullptr) {
    machine_metrics->transitions.fetch_add(execution.state_transitions(),
                                           std::memory_order_relaxed);
    machine_metrics->duration.Observe(static_cast<double>(slot.stop_time - slot.start_time) / 1e9);
    switch (execution.status()) {
      case runtime::ExecutionStatus::kSucceeded:
        machine_metrics->succeeded.fetch_add(1, std::memory_order_relaxed);
        break;
      case runtime::ExecutionStatus::kTimedOut:
        machine_metrics->timed_out.fetch_add(1, std::memory_order_relaxed);
        break;
      case runtime::ExecutionStatus::kFailed:
      case runtime::ExecutionStatus::kRunning:
        machine_metrics->failed.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }
}

// Writes `pieces` in full. Most answers fit the socket's send buffer, so they leave at once
// without a trip through the event loop; only a rest, if any, waits for the socket.
static net::awaitable<bool> Send(Connection& connection, std::span<net::const_buffer> pieces,
                                 std::chrono::seconds timeout) {
  beast::error_code ec;
  std::size_t written = connection.socket.write_some(pieces, ec);  // the socket is non-blocking
  if (ec && ec != net::error::would_block) {
    co_return false;
  }
  while (!pieces.empty() && written >= pieces.front().size()) {
    written -= pieces.front().size();
    pieces = pieces.subspan(1);
  }
  if (pieces.empty()) {
    co_return true;
  }
  pieces.front() += written;
  connection.ExpireAfter(timeout);  // a client that stops reading is dropped
  auto [error, bytes] = co_await net::async_write(connection.socket, pieces, kUseTuple);
  (void)bytes;
  connection.NeverExpire();
  co_return !error;
}

// Writes `chunk` as one HTTP chunk (and the final empty chunk when `last`), then clears it.
static net::awaitable<bool> WriteChunk(Connection& connection, std::string& chunk, bool last,
                                       std::chrono::seconds timeout) {
  char size[20];
  const int length = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  std::string_view tail = last ? "\r\n0\r\n\r\n" : "\r\n";
  if (chunk.empty()) {
    tail = "0\r\n\r\n";
  }
  std::array<net::const_buffer, 3> pieces;
  std::size_t count = 0;
  if (!chunk.empty()) {
    pieces[count++] = net::buffer(size, static_cast<std::size_t>(length));
    pieces[count++] = net::buffer(chunk);
  }
  if (last || !chunk.empty()) {
    pieces[count++] = net::buffer(tail);
  }
  const bool sent = co_await Send(connection, std::span(pieces.data(), count), timeout);
  chunk.clear();
  co_return sent;
}

// Feeds the parser what the buffer already holds: a small request's body usually arrives with
// its header, and then needs no further read.
static void ParseBuffered(http::request_parser<http::string_body>& parser,
                          beast::flat_buffer& buffer, beast::error_code& ec) {
  while (!parser.is_done() && buffer.size() > 0) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return;
    }
    if (ec || used == 0) {
      return;
    }
  }
}

std::optional<std::string> Server::Impl::Listen() {
  beast::error_code ec;
  if (options.handle_signals) {
    signals.add(SIGINT);  // throws only when the process is out of descriptors
    signals.add(SIGTERM);
  }
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) {
    return "invalid --host '" + options.host + "': " + ec.message();
  }
  std::uint16_t port = options.port;
  for (auto& worker : workers) {
    tcp::acceptor& acceptor = worker->acceptor;
    const tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor.set_option(ReusePort(true), ec);
    }
    if (!ec) {
      acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return "cannot listen on " + options.host + ":" + std::to_string(port) + ": " + ec.message();
    }
    port = acceptor.local_endpoint().port();  // the first worker's pick when asked for port 0
  }
  bound_port = port;
  listeners_open.store(workers.size());
  return std::nullopt;
}

net::awaitable<void> Server::Impl::Accept(Worker& worker) {
  for (;;) {
    auto [ec, socket] = co_await worker.acceptor.async_accept(kUseTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !worker.acceptor.is_open()) {
        co_return;
      }
      continue;  // a connection reset before we took it, or out of descriptors for a moment
    }
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // for Send's immediate write
    net::co_spawn(worker.io, Session(worker, std::move(socket)), net::detached);
  }
}

net::awaitable<void> Server::Impl::Sweep(Worker& worker) {
  net::steady_timer tick(worker.io);
  for (;;) {
    tick.expires_after(kSweepInterval);
    co_await tick.async_wait(kUseTuple);
    worker.CloseExpired(std::chrono::steady_clock::now());
  }
}

net::awaitable<void> Server::Impl::Session(Worker& worker, tcp::socket socket) {
  sessions_open.fetch_add(1, std::memory_order_relaxed);
  Connection connection(std::move(socket));
  worker.connections.push_front(&connection);
  const auto registered = worker.connections.begin();
  beast::flat_buffer buffer;
  std::string head;
  Response response;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // The header decides which limit applies; the parser checks Content-Length against the
    // limit as soon as the header is in, so start with the larger one.
    parser.body_limit(std::max(options.max_body_bytes, options.max_batch_body_bytes));

    // Waiting for the next request: idle, and closed at once if the server shuts down. The
    // drain may have begun while this session was still answering; it has not seen it then.
    if (draining.load(std::memory_order_relaxed)) {
      break;
    }
    connection.ExpireAfter(buffer.size() == 0 ? options.idle_timeout : options.header_timeout);
    connection.idle = true;
    auto [header_error, header_bytes] =
        co_await http::async_read_header(connection.socket, buffer, parser, kUseTuple);
    connection.idle = false;
    (void)header_bytes;

    response.status = 200;
    response.action = kActionOther;
    response.error_type.clear();
    response.chunked = false;
    response.body.clear();
    bool keep_alive = false;
    if (header_error == http::error::header_limit) {
      SetError(ValidationException("Request header exceeds " +
                                   std::to_string(options.max_header_bytes) + " bytes"),
               response);
      response.status = 431;
    } else if (header_error) {
      break;  // EOF, reset, timeout or garbage: nothing sensible to answer
    } else {
      auto& header = parser.get();
      const std::string_view path = TargetPath(ToView(header.target()));
      const bool batch = path.starts_with(kNativePrefix) && path.ends_with(":batch");
      const std::size_t limit = batch ? options.max_batch_body_bytes : options.max_body_bytes;
      const auto length = parser.content_length();
      parser.body_limit(limit);
      beast::error_code body_error;
      if (length && *length > limit) {
        body_error = http::error::body_limit;
      } else {
        ParseBuffered(parser, buffer, body_error);
        if (!body_error && !parser.is_done()) {
          connection.ExpireAfter(options.body_timeout);
          std::size_t body_bytes = 0;
          std::tie(body_error, body_bytes) =
              co_await http::async_read(connection.socket, buffer, parser, kUseTuple);
        }
      }
      if (body_error == http::error::body_limit) {
        SetError(ApiError{"RequestEntityTooLargeException",
                          "Request body exceeds " + std::to_string(limit) + " bytes", 413},
                 response);
      } else if (body_error) {
        break;
      } else {
        keep_alive = parser.get().keep_alive() && !draining.load(std::memory_order_relaxed);
        connection.NeverExpire();
        sessions_busy.fetch_add(1, std::memory_order_relaxed);
        co_await Handle(worker, parser.get(), response, connection, keep_alive);
        sessions_busy.fetch_sub(1, std::memory_order_relaxed);
        keep_alive = keep_alive && !draining.load(std::memory_order_relaxed);
      }
    }

    metrics.CountApiRequest(response.action, response.status);
    if (response.chunked) {  // already streamed by the handler
      if (!keep_alive) {
        break;
      }
      continue;
    }
    head.clear();
    AppendHead(response, keep_alive, head);
    std::array<net::const_buffer, 2> pieces{net::buffer(head), net::buffer(response.body)};
    if (!co_await Send(connection, pieces, options.body_timeout) || !keep_alive) {
      break;
    }
  }
  worker.connections.erase(registered);
  beast::error_code ignored;
  connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
  sessions_open.fetch_sub(1, std::memory_order_relaxed);
}

net::awaitable<void> Server::Impl::Handle(Worker& worker, http::request<http::string_body>& request,
                                          Response& response, Connection& connection,
                                          bool keep_alive) {
  const std::string_view path = TargetPath(ToView(request.target()));
  const auto amz_target = request.find("x-amz-target");
  if (amz_target != request.end()) {
    if (request.method() != http::verb::post) {
      SetError(ApiError{"MethodNotAllowed", "AWS API requests must be POST", 405}, response);
      co_return;
    }
    const std::string_view target = ToView(amz_target->value());
    const auto content_type = request.find(http::field::content_type);
    if (content_type != request.end() &&
        ToView(content_type->value()) == "application/x-amz-json-1.1") {
      response.content_type = "application/x-amz-json-1.1";
    } else {
      response.content_type = "application/x-amz-json-1.0";
    }
    if (target.starts_with(kLogsTargetPrefix)) {
      response.action = kActionLogs;
      HandleLogs(worker, target.substr(kLogsTargetPrefix.size()), request.body(), response);
      co_return;
    }
    if (!target.starts_with(kSfnTargetPrefix)) {
      SetError(UnknownOperation(target), response);
      co_return;
    }
    response.action =
        metrics::ServiceMetrics::ApiActionIndex(target.substr(kSfnTargetPrefix.size()));
    co_await HandleAws(worker, target.substr(kSfnTargetPrefix.size()), request.body(), response);
    co_return;
  }
  response.content_type = "application/json";
  if (path == "/metrics" && request.method() == http::verb::get) {
    response.action = kActionMetrics;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    PublishLogCounters();
    response.body = metrics.Serialize();
    co_return;
  }
  if (path == "/healthz" || path == "/readyz") {
    response.action = kActionHealth;
    const bool ready = path == "/healthz" || !draining.load(std::memory_order_relaxed);
    response.status = ready ? 200 : 503;
    response.body = ready ? R"({"status":"ok"})" : R"({"status":"draining"})";
    co_return;
  }
  if (path.starts_with(kNativePrefix)) {
    if (request.method() != http::verb::post) {
      SetError(ApiError{"MethodNotAllowed", "Executions are started with POST", 405}, response);
      co_return;
    }
    response.action = path.ends_with(":batch") ? kActionNativeBatch : kActionNativeSync;
    co_await HandleNative(worker, path.substr(kNativePrefix.size()), request.body(), response,
                          connection, keep_alive);
    co_return;
  }
  response.action = kActionNotFound;
  SetError(ApiError{"NotFound",
                    "No such endpoint: AWS API calls carry an X-Amz-Target header; native "
                    "executions are POST /v1/state-machines/{name}:sync or :batch",
                    404},
           response);
}

net::awaitable<void> Server::Impl::HandleAws(Worker& worker, std::string_view action,
                                             std::string_view body, Response& response) {
  if (auto error = worker.request_body.Parse(body)) {
    SetError(*error, response);
    co_return;
  }
  const bool sync = action == "StartSyncExecution";
  if (sync || action == "StartExecution") {
    if (!sync && async_in_flight.load(std::memory_order_relaxed) >= options.max_async_executions) {
      CountThrottled(worker);
      SetError(ThrottlingException(), response);
      co_return;
    }
    std::unique_ptr<ExecutionSlot> slot = worker.TakeSlot();
    const StartContext context{control_plane.config(), worker.machines, sync};
    if (auto error = StartFromApiRequest(worker.request_body, context, *slot)) {
      worker.ReturnSlot(std::move(slot));
      SetError(*error, response);
      co_return;
    }
    if (sync) {
      co_await Drive(*slot, metrics);
      AppendStartSyncExecutionResponse(*slot, response.body);
      worker.ReturnSlot(std::move(slot));
    } else {
      AppendStartExecutionResponse(*slot, response.body);
      async_in_flight.fetch_add(1, std::memory_order_relaxed);
      net::co_spawn(worker.io, RunAsync(worker, std::move(slot)), net::detached);
    }
    co_return;
  }
  if (action == "TestState") {
    SetAnswer(TestState(worker.request_body, control_plane.config()), action, response);
    co_return;
  }
  SetAnswer(control_plane.Handle(action, worker.request_body), action, response);
}

// The CloudWatch Logs API (JSON 1.1) over the execution logs, on the same port.
void Server::Impl::HandleLogs(Worker& worker, std::string_view action, std::string_view body,
                              Response& response) {
  response.content_type = "application/x-amz-json-1.1";
  if (auto error = worker.request_body.Parse(body)) {
    SetError(*error, response);
    return;
  }
  SetAnswer(logs_api.Handle(action, worker.request_body), action, response);
}

// The log store counts per group; the scrape copies its counts into the metrics.
void Server::Impl::PublishLogCounters() {
  for (const logs::LogGroupInfo& group : log_store.ListGroups("")) {
    const auto counters = metrics.ForLogGroup(group.name);
    counters->written.store(group.stored_events + group.dropped, std::memory_order_relaxed);
    counters->dropped.store(group.dropped, std::memory_order_relaxed);
  }
}

// Counted against the machine the refused request named, when it names one of ours.
void Server::Impl::CountThrottled(Worker& worker) {
  const auto arn = worker.request_body.String("stateMachineArn");
  if (!arn || !*arn) {
    return;
  }
  const StateMachineArnParts parts = ParseStateMachineArn(control_plane.config(), **arn);
  const RecordPtr* machine =
      parts.check == ArnCheck::kOurs ? worker.machines.Find(parts.name) : nullptr;
  if (machine != nullptr && (*machine)->metrics) {
    (*machine)->metrics->throttled.fetch_add(1, std::memory_order_relaxed);
  }
}

net::awaitable<void> Server::Impl::RunAsync(Worker& worker, std::unique_ptr<ExecutionSlot> slot) {
  metrics.async_queue_depth.fetch_add(1, std::memory_order_relaxed);
  co_await Drive(*slot, metrics);
  metrics.async_queue_depth.fetch_sub(1, std::memory_order_relaxed);
  worker.ReturnSlot(std::move(slot));
  async_in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (draining.load(std::memory_order_relaxed)) {
    async_completed.fetch_add(1, std::memory_order_relaxed);
  }
}

net::awaitable<void> Server::Impl::HandleNative(Worker& worker, std::string_view path,
                                                std::string_view body, Response& response,
                                                Connection& connection, bool keep_alive) {
  const std::size_t colon = path.rfind(':');
  const std::string_view name = path.substr(0, colon);
  const std::string_view verb =
      colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
  if (verb != "sync" && verb != "batch") {
    SetError(ApiError{"NotFound", "Use /v1/state-machines/{name}:sync or :batch", 404}, response);
    co_return;
  }
  const StartContext context{control_plane.config(), worker.machines, true};
  std::unique_ptr<ExecutionSlot> slot = worker.TakeSlot();
  if (verb == "sync") {
    if (auto error = StartFromNativeRequest(name, body, context, *slot)) {
      SetError(*error, response);
    } else {
      co_await Drive(*slot, metrics);
      response.status = AppendNativeResponse(*slot, response.body) ? 200 : 422;
    }
    worker.ReturnSlot(std::move(slot));
    co_return;
  }

  // NDJSON: one execution per input line, one result line per execution, in order, streamed
  // as chunks so a long batch shows progress and never sits whole in memory twice.
  response.content_type = "application/x-ndjson";
  response.chunked = true;
  std::string head;
  AppendHead(response, keep_alive, head);
  std::array<net::const_buffer, 1> head_piece{net::buffer(head)};
  constexpr std::size_t kChunkBytes = 64 * 1024;
  std::string chunk;
  bool failed = !co_await Send(connection, head_piece, options.body_timeout);
  std::size_t start = 0;
  while (!failed && start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;  // blank lines separate nothing
    }
    if (auto error = StartFromNativeRequest(name, line, context, *slot)) {
      AppendNativeLineError(*error, chunk);
    } else {
      co_await Drive(*slot, metrics);
      AppendNativeLineResponse(*slot, chunk);
    }
    chunk += '\n';
    if (chunk.size() >= kChunkBytes) {
      failed = !co_await WriteChunk(connection, chunk, false, options.body_timeout);
    }
  }
  worker.ReturnSlot(std::move(slot));
  if (!failed) {
    co_await WriteChunk(connection, chunk, true, options.body_timeout);
  }
}

void Server::Impl::BeginDrain() {
  draining.store(true);
  for (auto& worker : workers) {
    net::post(worker->io, [this, w = worker.get()] {
      beast::error_code ignored;
      w->acceptor.close(ignored);
      listeners_open.fetch_sub(1);
      for (Connection* connection : w->connections) {
        if (connection->idle) {
          connection->socket.close(ignored);
        }
      }
    });
  }
}

Server::Server(ServerOptions options, ControlPlane& control_plane, metrics::ServiceMetrics& metrics,
               logs::LogStore& log_store, logs::LogsApi& logs_api)
    : impl_(std::make_unique<Impl>(std::move(options), control_plane, metrics, log_store,
                                   logs_api)) {}

Server::~Server() = default;

std::optional<std::string> Server::Listen() { return impl_->Listen(); }
std::uint16_t Server::port() const { return impl_->bound_port; }
unsigned Server::threads() const { return impl_->options.threads; }

DrainReport Server::Run() {
  Impl& impl = *impl_;
  std::vector<std::thread> threads;
  for (auto& worker : impl.workers) {
    net::co_spawn(worker->io, impl.Accept(*worker), net::detached);
    net::co_spawn(worker->io, impl.Sweep(*worker), net::detached);
    threads.emplace_back([w = worker.get()] { w->io.run(); });
  }

  // The control loop waits for a signal or Shutdown(), then watches the drain: done when every
  // worker has stopped listening and no asynchronous execution and no connection is left, or
  // when the drain timeout says so. A worker that is slow to close its acceptor would otherwise
  // be stopped with it open, and connections would queue on a server that no longer answers.
  net::io_context& control = impl.control;
  net::signal_set& signals = impl.signals;
  net::steady_timer deadline(control);
  net::steady_timer poll(control);
  DrainReport report;
  std::function<void()> watch = [&] {
    if (impl.listeners_open.load() == 0 && impl.async_in_flight.load() == 0 &&
        impl.sessions_open.load() == 0) {
      deadline.cancel();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](beast::error_code ec) {
      if (!ec) {
        watch();
      }
    });
  };
  net::steady_timer hold(control);  // keeps the loop waiting for a signal or Shutdown()
  hold.expires_at(net::steady_timer::time_point::max());
  hold.async_wait([](beast::error_code) {});
  bool drain_started = false;
  const auto drain = [&] {
    if (std::exchange(drain_started, true)) {
      return;
    }
    signals.cancel();
    hold.cancel();
    impl.BeginDrain();
    deadline.expires_after(impl.options.drain_timeout);
    deadline.async_wait([&](beast::error_code ec) {
      if (ec) {
        return;
      }
      report.timed_out = true;
      report.async_abandoned = impl.async_in_flight.load();
      report.requests_abandoned = impl.sessions_busy.load();
      poll.cancel();
    });
    watch();
  };
  if (impl.options.handle_signals) {
    signals.async_wait([&](beast::error_code ec, int) {
      if (!ec) {
        drain();
      }
    });
  }
  {
    const std::lock_guard lock(impl.shutdown_mutex);
    impl.control_io = &control;
    impl.request_drain = drain;
    if (impl.draining.load()) {
      net::post(control, drain);
    }
  }
  control.run();
  {
    const std::lock_guard lock(impl.shutdown_mutex);
    impl.control_io = nullptr;
    impl.request_drain = nullptr;
  }
  for (auto& worker : impl.workers) {
    worker->io.stop();  // what is left after the drain timeout is abandoned
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (auto& worker : impl.workers) {
    beast::error_code ignored;
    worker->acceptor.close(ignored);  // after a timed-out drain, one may still be open
  }
  report.async_completed_while_draining = impl.async_completed.load();
  return report;
}

void Server::Shutdown() {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.shutdown_mutex);
  if (impl.control_io == nullptr) {
    impl.draining.store(true);  // Run() drains as soon as it starts
    return;
  }
  net::post(*impl.control_io, impl.request_drain);
}

}  // namespace stepd::service

// stepd_http_floor: the HTTP floor for perf/wrk_api.py. The least any StartSyncExecution endpoint
// can cost on this machine: a Boost.Beast HTTP/1.1 keep-alive server that parses each request body
// with simdjson and answers a fixed small JSON 200, nothing else (no state machine, no logging,
// no metrics, no idle timeout).
//
//   stepd_http_floor [--host 127.0.0.1] [--port 0] [--threads 2]
//
// When every worker listens it prints exactly one line on stdout, `floor: listening on
// http://HOST:PORT` (flushed); `--port 0` picks a free port. SIGTERM/SIGINT stop it and it prints
// the requests and connections each worker served on stderr, to check the kernel's balance.
//
// Bodies: an object with a "stateMachineArn" member is AWS-shaped (StartSyncExecution): the
// members stateMachineArn and input are read as strings. Any other non-empty body only has to
// parse. Not JSON, or a non-string stateMachineArn/input, is a 400 SerializationException.
//
// The shape is the one STYLE.md section 7 asks of service/: one io_context{1} and one SO_REUSEPORT
// acceptor per worker thread, a connection stays on its worker for life, sessions are coroutines
// with errors as values and every input bounded. Each worker owns one reused simdjson parser;
// Beast still allocates per request (header fields, the body string), as it does in stepd.

#include <charconv>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>
#include <sys/socket.h>

namespace stepd::perf {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// asio has no named option for it; Linux spreads incoming connections over the listeners.
using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::uint64_t kMaxRequestBytes = 1024 * 1024;  // an AWS request is at most 256 KiB
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr std::string_view kSucceeded =
    R"({"executionArn":"arn:aws:states:us-east-1:123456789012:express:floor:run:0",)"
    R"("status":"SUCCEEDED"})";
constexpr std::string_view kBadBody =
    R"({"__type":"SerializationException","message":"the request body is not valid"})";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned threads = 2;
};

// One per worker thread; touched only by that thread until it has been joined.
struct Worker {
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  simdjson::dom::parser parser;
  std::uint64_t requests = 0;
  std::uint64_t connections = 0;
};

// True when the body is acceptable: empty, any JSON, or an AWS-shaped object whose
// stateMachineArn and input (when present) are strings.
bool BodyIsValid(simdjson::dom::parser& parser, const std::string& body) {
  if (body.empty()) {
    return true;
  }
  // Copies into the parser's reused buffer only when the string lacks SIMDJSON_PADDING spare room.
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) {
    return false;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return true;
  }
  simdjson::dom::element arn;
  if (object["stateMachineArn"].get(arn) != simdjson::SUCCESS) {
    return true;  // not AWS-shaped: parsing was the whole job
  }
  std::string_view arn_text;
  if (arn.get_string().get(arn_text) != simdjson::SUCCESS || arn_text.empty()) {
    return false;
  }
  simdjson::dom::element input;
  if (object["input"].get(input) != simdjson::SUCCESS) {
    return true;  // AWS defaults a missing input to {}
  }
  std::string_view input_text;
  return input.get_string().get(input_text) == simdjson::SUCCESS;
}

net::awaitable<void> Session(tcp::socket socket, Worker& worker) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxRequestBytes);
    auto [read_error, read_bytes] = co_await http::async_read(socket, buffer, parser, kAsTuple);
    if (read_error) {
      co_return;  // EOF and connection resets are normal; a bad request just ends the connection
    }
    const http::request<http::string_body>& request = parser.get();
    const bool valid = BodyIsValid(worker.parser, request.body());
    ++worker.requests;

    http::response<http::span_body<const char>> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.result(valid ? http::status::ok : http::status::bad_request);
    response.set(http::field::content_type, kContentType);
    const std::string_view body = valid ? kSucceeded : kBadBody;
    response.body() = {body.data(), body.size()};
    response.prepare_payload();
    auto [write_error, written_bytes] = co_await http::async_write(socket, response, kAsTuple);
    if (write_error) {
      co_return;
    }
    if (!response.keep_alive()) {
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

net::awaitable<void> Accept(Worker& worker) {
  for (;;) {
    auto [error, socket] = co_await worker.acceptor.async_accept(kAsTuple);
    if (error == net::error::operation_aborted) {
      co_return;
    }
    if (error) {
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    ++worker.connections;
    net::co_spawn(worker.io, Session(std::move(socket), worker), net::detached);
  }
}

// Binds and listens; port 0 means any free port, which the caller then reads back.
void Listen(Worker& worker, const tcp::endpoint& endpoint) {
  worker.acceptor.open(endpoint.protocol());
  worker.acceptor.set_option(tcp::acceptor::reuse_address(true));
  worker.acceptor.set_option(ReusePort(true));
  worker.acceptor.bind(endpoint);
  worker.acceptor.listen(net::socket_base::max_listen_connections);
}

template <typename T>
T ParseNumber(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(std::string(flag) + ": not a number: " + std::string(text));
  }
  return value;
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs("usage: stepd_http_floor [--host 127.0.0.1] [--port 0] [--threads 2]\n", stdout);
      std::exit(0);
    }
    if (i + 1 == args.size()) {
      throw std::invalid_argument(std::string(flag) + ": missing value");
    }
    const std::string_view value = args[++i];
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = ParseNumber<std::uint16_t>(flag, value);
    } else if (flag == "--threads") {
      options.threads = ParseNumber<unsigned>(flag, value);
      if (options.threads == 0) {
        throw std::invalid_argument("--threads: must be at least 1");
      }
    } else {
      throw std::invalid_argument("unknown flag: " + std::string(flag));
    }
  }
  return options;
}

int Run(const Options& options) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>());
  }
  // The first listener picks the port (maybe 0 → any free one); the others share it.
  tcp::endpoint endpoint(net::ip::make_address(options.host), options.port);
  Listen(*workers.front(), endpoint);
  endpoint.port(workers.front()->acceptor.local_endpoint().port());
  for (std::size_t i = 1; i < workers.size(); ++i) {
    Listen(*workers[i], endpoint);
  }

  std::vector<std::thread> threads;
  for (const std::unique_ptr<Worker>& worker : workers) {
    net::co_spawn(worker->io, Accept(*worker), net::detached);
    threads.emplace_back([&io = worker->io] { io.run(); });
  }

  std::fprintf(stderr, "floor: %u threads, simdjson %s\n", options.threads,
               simdjson::get_active_implementation()->name().c_str());
  std::printf("floor: listening on http://%s:%u\n", options.host.c_str(),
              static_cast<unsigned>(endpoint.port()));
  std::fflush(stdout);

  // The main thread only waits for a signal; io_context::stop is thread-safe.
  net::io_context control{1};
  net::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&workers](const beast::error_code&, int) {
    for (const std::unique_ptr<Worker>& worker : workers) {
      worker->io.stop();
    }
  });
  control.run();
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (std::size_t i = 0; i < workers.size(); ++i) {
    std::fprintf(stderr, "floor: worker %zu served %llu requests on %llu connections\n", i,
                 static_cast<unsigned long long>(workers[i]->requests),
                 static_cast<unsigned long long>(workers[i]->connections));
  }
  return 0;
}

}  // namespace
}  // namespace stepd::perf

int main(int argc, char** argv) {
  try {
    return stepd::perf::Run(stepd::perf::ParseOptions(argc, argv));
  } catch (const std::exception& e) {  // start-up only: bad flags, address in use
    std::fprintf(stderr, "floor: %s\n", e.what());
    return 2;
  }
}

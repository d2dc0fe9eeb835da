// The HTTP server over real loopback sockets: protocol edges, limits, routing and shutdown.
// Clients here are raw sockets, so the bytes on the wire are exactly what a test sends.

#include "service/server/server.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service/api/control_plane.h"
#include "service/api/registry.h"
#include "service/logs/log_store.h"
#include "service/logs/logs_api.h"

namespace stepd::service {
namespace {

constexpr std::string_view kPassMachine =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.r","End":true}}})";
constexpr std::string_view kWaitMachine =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}})";

// A blocking loopback connection that sends raw bytes and reads one response at a time.
class Connection {
 public:
  explicit Connection(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~Connection() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads one whole response (Content-Length or chunked); empty when the peer closed first.
  std::string ReadResponse() {
    for (;;) {
      const std::size_t head_end = pending_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::string head = pending_.substr(0, head_end + 4);
        if (const std::size_t at = Lower(head).find("content-length: "); at != std::string::npos) {
          const std::size_t length = std::stoul(head.substr(at + 16));
          if (pending_.size() >= head.size() + length) {
            std::string response = pending_.substr(0, head.size() + length);
            pending_.erase(0, head.size() + length);
            return response;
          }
        } else if (const std::size_t end = pending_.find("\r\n0\r\n\r\n", head_end);
                   end != std::string::npos) {
          std::string response = pending_.substr(0, end + 7);
          pending_.erase(0, end + 7);
          return response;
        }
      }
      char buffer[65536];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        return {};
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // True when the server closed the connection (recv sees EOF).
  bool ClosedByPeer() {
    char byte;
    return recv(fd_, &byte, 1, 0) == 0;
  }

  static std::string Lower(std::string text) {
    for (char& c : text) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Body(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

std::string AwsRequest(std::string_view action, std::string_view body,
                       std::string_view target = "/", std::string_view host = "127.0.0.1",
                       std::string_view target_prefix = "AWSStepFunctions.") {
  std::string request = "POST ";
  request += target;
  request += " HTTP/1.1\r\nHost: ";
  request += host;
  request += "\r\nx-amz-target: ";
  request += target_prefix;
  request += action;
  request += "\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: ";
  request += std::to_string(body.size());
  request += "\r\n\r\n";
  request += body;
  return request;
}

std::string Post(std::string_view path, std::string_view body) {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options = {}) {
    control_plane_.set_metrics(&metrics_);
    Create("pass", kPassMachine);
    Create("wait", kWaitMachine);
    options.port = 0;
    options.threads = 2;
    options.handle_signals = false;
    server_ = std::make_unique<Server>(options, control_plane_, metrics_, log_store_, logs_api_);
    ASSERT_FALSE(server_->Listen().has_value());
    runner_ = std::thread([this] { report_ = server_->Run(); });
  }

  // `extra` is more members for the request, each after a comma.
  void Create(std::string_view name, std::string_view definition, std::string_view extra = "") {
    RequestBody body;
    std::string json = R"({"name":")" + std::string(name) + R"(","type":"EXPRESS",)" +
                       R"("roleArn":"arn:aws:iam::123456789012:role/r")" + std::string(extra) +
                       R"(,"definition":)";
    json += '"';
    for (char c : definition) {
      if (c == '"') {
        json += '\\';
      }
      json += c;
    }
    json += "\"}";
    ASSERT_FALSE(body.Parse(json).has_value());
    const auto answer = control_plane_.Handle("CreateStateMachine", body);
    ASSERT_TRUE(answer.has_value() && answer->has_value()) << json;
  }

  DrainReport Stop() {
    server_->Shutdown();
    runner_.join();
    return report_;
  }

  void TearDown() override {
    if (runner_.joinable()) {
      Stop();
    }
  }

  std::uint16_t port() const { return server_->port(); }

  metrics::ServiceMetrics metrics_{"test"};
  logs::LogStore log_store_;
  logs::LogsApi logs_api_{log_store_};
  Registry registry_;
  ControlPlane control_plane_{registry_, ServiceConfig{}};
  std::unique_ptr<Server> server_;
  std::thread runner_;
  DrainReport report_;
};

TEST_F(ServerTest, StartSyncExecutionOverKeepAliveWithAnyHostAndTarget) {
  Start();
  Connection connection(port());
  ASSERT_TRUE(connection.connected());
  const std::string body =
      R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:pass","input":"{\"a\":1}"})";
  // Origin form, then the absolute form an HTTP proxy gets, with the SDKs' sync- host prefix.
  connection.Send(AwsRequest("StartSyncExecution", body));
  connection.Send(
      AwsRequest("StartSyncExecution", body, "http://sync-127.0.0.1:9/", "sync-127.0.0.1:9"));
  for (int i = 0; i < 2; ++i) {
    const std::string response = connection.ReadResponse();
    ASSERT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
    EXPECT_NE(response.find("x-amzn-RequestId: "), std::string::npos);
    const std::string json = Body(response);
    EXPECT_NE(json.find(R"("status":"SUCCEEDED")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("output":"{\"a\":1,\"r\":{\"ok\":true}}")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("executionArn":"arn:aws:states:us-east-1:123456789012:express:pass:)"),
              std::string::npos);
  }
}

TEST_F(ServerTest, AwsErrorsCarryTypeInBodyAndHeader) {
  Start();
  Connection connection(port());
  connection.Send(AwsRequest(
      "StartSyncExecution",
      R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:nope"})"));
  std::string response = connection.ReadResponse();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 400 ")) << response;
  EXPECT_NE(response.find("x-amzn-ErrorType: StateMachineDoesNotExist\r\n"), std::string::npos);
  EXPECT_EQ(
      Body(response),
      R"({"__type":"StateMachineDoesNotExist","message":"State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:nope'"})");

  connection.Send(AwsRequest("StartSyncExecution", "{not json"));
  response = connection.ReadResponse();
  EXPECT_NE(Body(response).find(R"("__type":"SerializationException")"), std::string::npos);

  connection.Send(AwsRequest(
      "StartSyncExecution",
      R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:pass","input":"{oops"})"));
  response = connection.ReadResponse();
  EXPECT_NE(Body(response).find(R"("__type":"InvalidExecutionInput")"), std::string::npos);

  connection.Send(AwsRequest("FrobnicateStateMachine", "{}"));
  response = connection.ReadResponse();
  EXPECT_NE(Body(response).find(R"("__type":"UnknownOperationException")"), std::string::npos);
}

TEST_F(ServerTest, NativeSyncAndBatch) {
  Start();
  Connection connection(port());
  connection.Send(Post("/v1/state-machines/pass:sync", R"({"a":2})"));
  std::string response = connection.ReadResponse();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK")) << response;
  EXPECT_EQ(Body(response), R"({"a":2,"r":{"ok":true}})");

  connection.Send(Post("/v1/state-machines/pass:sync", "[1,"));
  response = connection.ReadResponse();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 400")) << response;

  connection.Send(Post("/v1/state-machines/nope:sync", "{}"));
  response = connection.ReadResponse();
  EXPECT_NE(Body(response).find("StateMachineDoesNotExist"), std::string::npos);

  connection.Send(Post("/v1/state-machines/pass:batch", "{\"a\":1}\n\n[]\r\n{bad\n{\"a\":3}"));
  response = connection.ReadResponse();
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos) << response;
  const std::string body = Body(response);
  EXPECT_NE(body.find(R"({"status":"SUCCEEDED","output":{"a":1,"r":{"ok":true}}})"
                      "\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"status":"FAILED","error":"States.ResultPathMatchFailure")"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"status":"REJECTED","error":"InvalidExecutionInput")"),
            std::string::npos);
  EXPECT_NE(body.find(R"({"status":"SUCCEEDED","output":{"a":3,"r":{"ok":true}}})"),
            std::string::npos);

  // The connection is still usable after a chunked answer.
  connection.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(connection.ReadResponse().starts_with("HTTP/1.1 200 OK"));
}

TEST_F(ServerTest, OversizedRequestsAreRefusedAndClosed) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  Connection body_connection(port());
  body_connection.Send(AwsRequest("StartSyncExecution", std::string(2048, ' ')));
  const std::string response = body_connection.ReadResponse();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 413 ")) << "[" << response << "]";
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(body_connection.ClosedByPeer());

  Connection header_connection(port());
  header_connection.Send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') +
                         "\r\n\r\n");
  EXPECT_TRUE(header_connection.ReadResponse().starts_with("HTTP/1.1 431 "));
}

TEST_F(ServerTest, SlowClientIsDisconnected) {
  ServerOptions options;
  options.header_timeout = std::chrono::seconds(1);
  options.idle_timeout = std::chrono::seconds(1);
  Start(options);
  Connection connection(port());
  connection.Send("POST / HTTP/1.1\r\nHost: x\r\n");  // and never the rest
  EXPECT_TRUE(connection.ReadResponse().empty());
}

TEST_F(ServerTest, StartExecutionRunsToCompletionAndThrottlesBeyondTheBound) {
  ServerOptions options;
  options.max_async_executions = 1;
  Start(options);
  Connection connection(port());
  const std::string body =
      R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:wait"})";
  connection.Send(AwsRequest("StartExecution", body));
  std::string response = connection.ReadResponse();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  EXPECT_NE(Body(response).find(R"("startDate":)"), std::string::npos);

  connection.Send(AwsRequest("StartExecution", body));
  response = connection.ReadResponse();
  EXPECT_NE(response.find("x-amzn-ErrorType: ThrottlingException"), std::string::npos);
  EXPECT_EQ(Body(response), R"({"__type":"ThrottlingException","message":"Rate exceeded"})");

  // Shutting down waits for the accepted execution (a 1 s Wait) instead of dropping it.
  const DrainReport report = Stop();
  EXPECT_FALSE(report.timed_out);
  EXPECT_EQ(report.async_completed_while_draining, 1u);
  EXPECT_EQ(report.async_abandoned, 0u);
}

TEST_F(ServerTest, ReadinessFailsWhileDraining) {
  Start();
  Connection connection(port());
  connection.Send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(connection.ReadResponse().starts_with("HTTP/1.1 200 OK"));
  Stop();
  Connection late(port());
  EXPECT_FALSE(late.connected());
}

// Clients on both workers at once: executions, control-plane writes, scrapes and log reads share
// the registry, the metrics and the log store. The tsan stage runs this under ThreadSanitizer.
TEST_F(ServerTest, ConcurrentClientsShareMachinesMetricsAndLogs) {
  Start();
  constexpr std::string_view kLogGroup = "/aws/vendedlogs/states/concurrent";
  Create("logged", kPassMachine,
         R"(,"loggingConfiguration":{"level":"ALL","includeExecutionData":true,"destinations":[)"
         R"({"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:)"
         R"(log-group:/aws/vendedlogs/states/concurrent:*"}}]})");
  Create("scratch", kPassMachine);
  {
    Connection setup(port());
    setup.Send(AwsRequest("CreateLogGroup", R"({"logGroupName":")" + std::string(kLogGroup) + "\"}",
                          "/", "logs.us-east-1.amazonaws.com", "Logs_20140328."));
    ASSERT_TRUE(setup.ReadResponse().starts_with("HTTP/1.1 200 "));
  }

  constexpr int kClients = 4;
  constexpr int kRounds = 40;
  const std::string scratch_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:scratch";
  // GoogleTest's assertions are thread-safe: a failure in a client thread fails the test.
  const auto expect_ok = [](const std::string& response, std::string_view what) {
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << what << ": " << response;
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Connection connection(port());
      for (int round = 0; round < kRounds; ++round) {
        const std::string input =
            R"({\"client\":)" + std::to_string(c) + R"(,\"round\":)" + std::to_string(round) + "}";
        const std::string machine = round % 2 == 0 ? "pass" : "logged";
        connection.Send(AwsRequest(
            "StartSyncExecution",
            R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:)" + machine +
                R"(","input":")" + input + R"("})"));
        const std::string execution = connection.ReadResponse();
        expect_ok(execution, "StartSyncExecution");
        const std::string output = R"("output":"{\"client\":)" + std::to_string(c) +
                                   R"(,\"round\":)" + std::to_string(round) +
                                   R"(,\"r\":{\"ok\":true}}")";
        EXPECT_NE(execution.find(output), std::string::npos) << execution;

        // And one thing that touches shared state, different for each client.
        switch (c) {
          case 0:
            connection.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            expect_ok(connection.ReadResponse(), "GET /metrics");
            break;
          case 1:
            connection.Send(AwsRequest(
                "UpdateStateMachine",
                R"({"stateMachineArn":")" + scratch_arn +
                    R"(","definition":"{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\",)"
                    R"(\"Result\":)" +
                    std::to_string(round) + R"(,\"End\":true}}}"})"));
            expect_ok(connection.ReadResponse(), "UpdateStateMachine");
            break;
          case 2:
            connection.Send(AwsRequest("StartSyncExecution",
                                       R"({"stateMachineArn":")" + scratch_arn + R"("})"));
            expect_ok(connection.ReadResponse(), "StartSyncExecution on the machine being updated");
            break;
          default:
            connection.Send(AwsRequest("FilterLogEvents",
                                       R"({"logGroupName":")" + std::string(kLogGroup) + "\"}", "/",
                                       "logs.us-east-1.amazonaws.com", "Logs_20140328."));
            expect_ok(connection.ReadResponse(), "FilterLogEvents");
            break;
        }
      }
    });
  }
  for (std::thread& client : clients) {
    client.join();
  }

  const std::string executions_per_machine = std::to_string(kClients * kRounds / 2);
  const std::string scrape = metrics_.Serialize();
  EXPECT_NE(scrape.find(R"(stepd_executions_succeeded_total{state_machine="pass"} )" +
                        executions_per_machine + "\n"),
            std::string::npos)
      << scrape;
  EXPECT_NE(scrape.find(R"(stepd_executions_succeeded_total{state_machine="logged"} )" +
                        executions_per_machine + "\n"),
            std::string::npos)
      << scrape;
  EXPECT_NE(scrape.find(R"(stepd_executions_succeeded_total{state_machine="scratch"} )" +
                        std::to_string(kRounds) + "\n"),
            std::string::npos)
      << scrape;
}

}  // namespace
}  // namespace stepd::service

#include "metrics/service_metrics.h"

#include <string>

#include <gtest/gtest.h>

namespace stepd::metrics {
namespace {

TEST(AtomicHistogramTest, BucketsAreCumulativeAndSumIsExact) {
  AtomicHistogram histogram;
  histogram.Observe(0.00005);  // first bucket
  histogram.Observe(0.001);    // exactly on a bound: counted in that bound's bucket
  histogram.Observe(1000);     // beyond the last bound: +Inf only
  const AtomicHistogram::Snapshot snapshot = histogram.Read();
  EXPECT_EQ(snapshot.cumulative[0], 1u);
  EXPECT_EQ(snapshot.cumulative[3], 2u);  // le="0.001"
  EXPECT_EQ(snapshot.cumulative[kDurationBounds.size() - 1], 2u);
  EXPECT_EQ(snapshot.cumulative.back(), 3u);
  EXPECT_NEAR(snapshot.sum, 1000.00105, 1e-9);
}

TEST(ClassifyResourceTest, KindsFollowTheIntegration) {
  EXPECT_EQ(ClassifyResource("arn:aws:states:::lambda:invoke"), ResourceKind::kLambda);
  EXPECT_EQ(ClassifyResource("arn:aws:lambda:us-east-1:123456789012:function:f"),
            ResourceKind::kLambda);
  EXPECT_EQ(ClassifyResource("arn:aws:states:::http:invoke"), ResourceKind::kHttp);
  EXPECT_EQ(ClassifyResource("arn:aws:states:::sqs:sendMessage"), ResourceKind::kSqs);
  EXPECT_EQ(ClassifyResource("arn:aws:states:::aws-sdk:s3:getObject"), ResourceKind::kAwsSdk);
  EXPECT_EQ(ClassifyResource("arn:aws:states:us-east-1:123456789012:activity:a"),
            ResourceKind::kActivity);
  EXPECT_EQ(ClassifyResource("arn:aws:states:::glue:startJobRun"), ResourceKind::kOther);
  EXPECT_EQ(ResourceKindName(ResourceKind::kAwsSdk), "aws-sdk");
}

TEST(ServiceMetricsTest, SerializesCountersPerStateMachineAndApiAction) {
  ServiceMetrics metrics("1.2.3");
  const auto orders = metrics.ForStateMachine("orders");
  EXPECT_EQ(orders, metrics.ForStateMachine("orders"));  // one handle per name
  orders->started.fetch_add(3);
  orders->succeeded.fetch_add(2);
  orders->failed.fetch_add(1);
  orders->duration.Observe(0.002);
  orders->task(ResourceKind::kLambda).invocations.fetch_add(4);
  metrics.CountApiRequest(ServiceMetrics::ApiActionIndex("StartSyncExecution"), 200);
  metrics.CountApiRequest(ServiceMetrics::ApiActionIndex("NoSuchAction"), 418);
  metrics.ForLogGroup("/aws/states/orders")->dropped.fetch_add(5);

  const std::string text = metrics.Serialize();
  for (const char* line : {
           "stepd_build_info{version=\"1.2.3\"} 1\n",
           "stepd_executions_started_total{state_machine=\"orders\"} 3\n",
           "stepd_executions_succeeded_total{state_machine=\"orders\"} 2\n",
           "stepd_executions_failed_total{state_machine=\"orders\"} 1\n",
           "stepd_execution_duration_seconds_count{state_machine=\"orders\"} 1\n",
           "stepd_execution_duration_seconds_bucket{state_machine=\"orders\",le=\"+Inf\"} 1\n",
           "stepd_task_invocations_total{state_machine=\"orders\",resource_kind=\"lambda\"} 4\n",
           "stepd_api_requests_total{action=\"StartSyncExecution\",code=\"200\"} 1\n",
           "stepd_api_requests_total{action=\"other\",code=\"other\"} 1\n",
           "stepd_log_events_dropped_total{log_group=\"/aws/states/orders\"} 5\n",
           "# TYPE stepd_execution_duration_seconds histogram\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  // Kinds a machine never used stay out of the exposition.
  EXPECT_EQ(text.find("resource_kind=\"sqs\""), std::string::npos);
}

}  // namespace
}  // namespace stepd::metrics

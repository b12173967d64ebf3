// The Prometheus text format and the HTTP responses of the metrics endpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "control/command/metrics_server.h"
#include "control/command/prometheus.h"

namespace sluice::control {
namespace {

TEST(PrometheusName, DottedNamesBecomeUnderscores) {
  EXPECT_EQ(PrometheusName("sluice", "control.batches.received"), "sluice_control_batches_received");
  EXPECT_EQ(PrometheusName("sluice_dataplane", "session.anomaly.bad-header"),
            "sluice_dataplane_session_anomaly_bad_header");
  EXPECT_EQ(PrometheusName("p", "a b/c\"d"), "p_a_b_c_d");
}

TEST(PrometheusEscape, LabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeHelp("line\none \\ \"quoted\""), "line\\none \\\\ \"quoted\"");
}

TEST(PrometheusWriter, GroupsSamplesUnderOneHeader) {
  PrometheusWriter writer;
  writer.AddInteger("sluice_x_total", "Things seen.", PrometheusWriter::Type::kCounter,
                    {{"dataplane", "a"}}, 3);
  writer.AddInteger("sluice_up", "Up.", PrometheusWriter::Type::kGauge, {}, 1);
  writer.AddInteger("sluice_x_total", "ignored: the first help wins",
                    PrometheusWriter::Type::kCounter, {{"dataplane", "b\"q"}}, 18446744073709551615ull);
  const std::string expected =
      "# HELP sluice_x_total Things seen.\n"
      "# TYPE sluice_x_total counter\n"
      "sluice_x_total{dataplane=\"a\"} 3\n"
      "sluice_x_total{dataplane=\"b\\\"q\"} 18446744073709551615\n"
      "# HELP sluice_up Up.\n"
      "# TYPE sluice_up gauge\n"
      "sluice_up 1\n";
  EXPECT_EQ(writer.Render(), expected);
}

TEST(PrometheusWriter, RealValues) {
  PrometheusWriter writer;
  writer.AddReal("r", "h", PrometheusWriter::Type::kGauge, {}, 1.5);
  writer.AddReal("r", "h", PrometheusWriter::Type::kGauge, {{"k", "nan"}}, std::nan(""));
  writer.AddReal("r", "h", PrometheusWriter::Type::kGauge, {{"k", "inf"}}, INFINITY);
  writer.AddReal("r", "h", PrometheusWriter::Type::kGauge, {{"k", "-inf"}}, -INFINITY);
  const std::string text = writer.Render();
  EXPECT_NE(text.find("r 1.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("r{k=\"nan\"} NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("r{k=\"inf\"} +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("r{k=\"-inf\"} -Inf\n"), std::string::npos) << text;
}

TEST(MetricsHttp, Responses) {
  struct Case {
    const char* request;
    const char* status_line;
  };
  const Case cases[] = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
      {"GET /metrics?name=x HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
      {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n"},
      {"GET /metricsx HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n"},
      {"POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed\r\n"},
      {"GET\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /metrics FTP/1.0\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
  };
  for (const Case& c : cases) {
    const std::string response = BuildHttpResponse(c.request, "body 1\n");
    EXPECT_EQ(response.rfind(c.status_line, 0), 0u) << c.request << " -> " << response;
  }
  const std::string ok = BuildHttpResponse("GET /metrics HTTP/1.0\r\n\r\n", "body 1\n");
  EXPECT_NE(ok.find("Content-Length: 7\r\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("text/plain; version=0.0.4"), std::string::npos) << ok;
  EXPECT_EQ(ok.substr(ok.size() - 7), "body 1\n");
}

TEST(MetricsHttp, AddressParsing) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(ParseIpv4Address("127.0.0.1:9750", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9750);
  for (const char* bad : {"127.0.0.1", ":9750", "127.0.0.1:", "localhost:9750", "127.0.0.1:99999",
                          "127.0.0.1:97a0", "[::1]:9750"}) {
    EXPECT_FALSE(ParseIpv4Address(bad, &host, &port)) << bad;
  }
}

}  // namespace
}  // namespace sluice::control

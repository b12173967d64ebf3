// The data plane registry: registration, rates between reports, restarts and silent data planes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/command/dataplane_registry.h"

namespace sluice::control {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

std::vector<uint8_t> RegisterMessage(const std::string& id, uint64_t run_id) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto ports = fbb.CreateVectorOfStrings({"0000:01:00.0"});
  const std::vector<uint32_t> ids = {1001, 1002};
  const auto body = command::CreateRegister(
      fbb, fbb.CreateString(id), run_id, fbb.CreateString("passive"), ports, 2,
      fbb.CreateString("sha256:abc"), 2, fbb.CreateVector(ids), 5.0);
  fbb.Finish(body);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::vector<uint8_t> ReportMessage(const std::string& id, uint64_t records, uint64_t packets) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<flatbuffers::Offset<command::Counter>> counters = {
      command::CreateCounter(fbb, fbb.CreateString(kRecordsSentCounter), records,
                             fbb.CreateString("Records sent.")),
      command::CreateCounter(fbb, fbb.CreateString(kPacketsCounter), packets,
                             fbb.CreateString("Packets.")),
      command::CreateCounter(fbb, fbb.CreateString("export.in_flight"), 3,
                             fbb.CreateString("In flight."), true)};
  const auto body = command::CreateReport(fbb, fbb.CreateString(id), 1, 6.0,
                                          fbb.CreateString("sha256:abc"), 2,
                                          fbb.CreateVector(counters));
  fbb.Finish(body);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

template <typename T>
const T& Root(const std::vector<uint8_t>& buffer) {
  return *flatbuffers::GetRoot<T>(buffer.data());
}

TEST(DataplaneRegistry, RegisterThenReportRates) {
  DataplaneRegistry registry;
  bool is_new = false;
  registry.ApplyRegister("r1", Root<command::Register>(RegisterMessage("edge-1", 1)), kSecond, &is_new);
  EXPECT_TRUE(is_new);
  ASSERT_NE(registry.ApplyReport("r1", Root<command::Report>(ReportMessage("edge-1", 100, 1000)), 2 * kSecond), nullptr);
  // A Register between two reports must not shorten the rate interval.
  registry.ApplyRegister("r1", Root<command::Register>(RegisterMessage("edge-1", 1)), 3 * kSecond - 1000, &is_new);
  EXPECT_FALSE(is_new);
  const DataplaneState* state =
      registry.ApplyReport("r1", Root<command::Report>(ReportMessage("edge-1", 300, 5000)), 3 * kSecond);
  ASSERT_NE(state, nullptr);
  EXPECT_DOUBLE_EQ(state->records_per_s, 200.0);
  EXPECT_DOUBLE_EQ(state->packets_per_s, 4000.0);
  EXPECT_EQ(state->mode, "passive");
  ASSERT_EQ(state->ports.size(), 1u);
  EXPECT_EQ(state->rule_ids, (std::vector<uint32_t>{1001, 1002}));
}

TEST(DataplaneRegistry, ReportWithoutRegisterIgnored) {
  DataplaneRegistry registry;
  EXPECT_EQ(registry.ApplyReport("r9", Root<command::Report>(ReportMessage("x", 1, 1)), kSecond), nullptr);
  EXPECT_TRUE(registry.all().empty());
}

TEST(DataplaneRegistry, RestartReplacesOldConnection) {
  DataplaneRegistry registry;
  bool is_new = false;
  registry.ApplyRegister("old", Root<command::Register>(RegisterMessage("edge-1", 1)), kSecond, &is_new);
  registry.ApplyRegister("other", Root<command::Register>(RegisterMessage("edge-2", 1)), kSecond, &is_new);
  registry.ApplyRegister("new", Root<command::Register>(RegisterMessage("edge-1", 2)), kSecond, &is_new);
  EXPECT_EQ(registry.all().size(), 2u);
  EXPECT_EQ(registry.all().count("old"), 0u);
  EXPECT_EQ(registry.all().at("new").run_id, 2u);
}

TEST(DataplaneRegistry, SilentDataplanesForgotten) {
  DataplaneRegistry registry;
  bool is_new = false;
  registry.ApplyRegister("r1", Root<command::Register>(RegisterMessage("edge-1", 1)), kSecond, &is_new);
  EXPECT_TRUE(registry.ForgetSilent(kSecond + DataplaneRegistry::kForgetAfterNs).empty());
  const std::vector<std::string> forgotten =
      registry.ForgetSilent(kSecond + DataplaneRegistry::kForgetAfterNs + 1);
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0], "edge-1");
  EXPECT_TRUE(registry.all().empty());
}

TEST(DataplaneRegistry, MetricsLabelledByDataplane) {
  DataplaneRegistry registry;
  bool is_new = false;
  registry.ApplyRegister("r1", Root<command::Register>(RegisterMessage("edge-\"1\"", 1)), kSecond, &is_new);
  registry.ApplyReport("r1", Root<command::Report>(ReportMessage("edge-\"1\"", 7, 9)), 2 * kSecond);
  PrometheusWriter writer;
  registry.AddMetrics(writer, 2 * kSecond);
  const std::string text = writer.Render();
  EXPECT_NE(text.find("sluice_dataplanes_connected 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_dataplane_export_records_sent{dataplane=\"edge-\\\"1\\\"\"} 7\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE sluice_dataplane_export_in_flight gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("version=\"sha256:abc\""), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice::control

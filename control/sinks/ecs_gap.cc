// ECS line of a Gap record: batches a data plane gave up before sluice-control acknowledged them.
#include <cinttypes>
#include <cstdio>

#include "control/sinks/ecs_json.h"

namespace sluice::control {

void EcsFormatter::FormatGap(const wire::Gap& gap) {
  json_.StartObject();
  // A gap has no packet of its own, so its time is that of the first lost record, or of the last
  // when the first is unknown. Both are 0 (1970-01-01) when the data plane knew neither.
  WriteTimestamp("@timestamp", gap.first_ts_ns() != 0 ? gap.first_ts_ns() : gap.last_ts_ns());

  json_.Key("event");
  json_.StartObject();
  json_.Key("kind");
  json_.PlainString("event");
  json_.Key("category");
  json_.StartArray();
  json_.PlainString("network");
  json_.EndArray();
  json_.Key("type");
  json_.StartArray();
  json_.PlainString("info");
  json_.EndArray();
  json_.Key("dataset");
  json_.PlainString("sluice.gap");
  if (gap.first_ts_ns() != 0 && gap.last_ts_ns() != 0) {
    WriteTimestamp("start", gap.first_ts_ns());
    WriteTimestamp("end", gap.last_ts_ns());
  }
  json_.EndObject();

  json_.Key("sluice");
  json_.StartObject();
  json_.Key("record_type");
  json_.PlainString("gap");
  json_.Raw(batch_members_.view());
  json_.Key("gap");
  json_.StartObject();
  json_.Key("reason");
  if (gap.reason() != nullptr && gap.reason()->size() != 0) {
    UntrustedString(gap.reason()->string_view());
  } else {
    json_.PlainString("unknown");
  }
  json_.Key("worker");
  json_.Uint(gap.worker_id());
  char run_id[17];
  std::snprintf(run_id, sizeof(run_id), "%016" PRIx64, gap.run_id());
  json_.Key("run_id");
  json_.PlainString(run_id);
  json_.Key("first_sequence");
  json_.Uint(gap.first_sequence());
  json_.Key("last_sequence");
  json_.Uint(gap.last_sequence());
  json_.Key("batches_lost");
  json_.Uint(gap.batches_lost());
  json_.Key("records_lost");
  json_.Uint(gap.records_lost());
  json_.EndObject();
  json_.EndObject();

  json_.EndObject();
}

}  // namespace sluice::control

#pragma once
// Wall-clock time as the model sees it: passed in (from the I/O edge, or fixed in tests), never
// read from the system inside the pure core. Asterisk's events carry no timestamps
// (timestampevents is off by default), so "when" is when the bridge saw the event.
#include <chrono>
#include <cstdint>
#include <string>

namespace model {

using Timestamp = std::chrono::system_clock::time_point;

// "2026-11-27T18:00:00.123Z" (UTC, milliseconds).
std::string iso8601(Timestamp t);
// Unix epoch seconds with milliseconds, as a JSON number (1795801243.123).
double epoch_seconds(Timestamp t);

}  // namespace model

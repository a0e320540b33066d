#pragma once
// Reads a recorded AMI transcript (format: tests/fixtures/ami/asterisk20-chansip/README.md) into
// the messages that crossed the wire, each with its exact bytes. Used to seed the simulator's
// state (--state), to answer actions the simulator does not model from the recorded answers,
// and to replay recorded events (--replay).
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"

namespace amisim {

struct RecordedMessage {
    std::string connection;  // the `#@` connection name ("bridge", "viewer", ...)
    bool from_server = false;
    double offset = 0;       // seconds since the capture started (`#@ ... +<seconds>`)
    std::string wire;        // the exact bytes, CRLFs and bare LFs included
    ami::Message message;    // parsed headers; a greeting for the banner; empty for a lone CRLF
};

std::vector<RecordedMessage> parse_recording(std::string_view text);

// One client message and every server message that followed it on the same connection before
// the client's next message (in an Events: off session: exactly the answer to it). The pointers
// point into `messages`, which must outlive the exchanges.
struct Exchange {
    const RecordedMessage* request = nullptr;
    std::vector<const RecordedMessage*> replies;
};
std::vector<Exchange> exchanges(const std::vector<RecordedMessage>& messages);

// The headers of `m` without the named ones (case-insensitive), in order.
std::vector<ami::Header> headers_without(const ami::Message& m, std::initializer_list<std::string_view> names);

// The whole file; throws std::runtime_error when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace amisim

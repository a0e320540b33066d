#pragma once
// Reads the recorded AMI transcripts in tests/fixtures/ami (format: tests/fixtures/ami/asterisk20-chansip/README.md).
#include <string>
#include <vector>

namespace testsupport {

struct TranscriptLine {
    bool from_server;   // <<< / <<!  (else >>> / >>!)
    bool escaped;       // <<! / >>!: the text had a bare LF or CR, shown as \n \r \\ .
    std::string text;   // unescaped, without the trailing CRLF
};

struct Connection {
    std::string name;
    std::vector<TranscriptLine> lines;  // wire lines of both directions, in order
    std::string received() const;       // the byte stream Asterisk sent (CRLF appended to every line)
    std::string sent() const;           // the byte stream the client sent
};

struct Transcript {
    std::string path;
    std::vector<Connection> connections;
    std::string received() const;  // all connections' server bytes, concatenated
};

Transcript read_transcript(const std::string& path);
std::string fixtures_dir();                        // PBX2MQTT_FIXTURES_DIR
std::vector<std::string> all_transcripts();        // every *.txt under fixtures/ami, sorted
std::string fixture(const std::string& relative);  // fixtures_dir() + "/ami/" + relative

}  // namespace testsupport

#pragma once
// Command requests shared by the tests and the fuzz seeds: the examples docs/topics.md documents
// for each command, and a corpus of hostile requests that must all be refused. Pure (JSON only).
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace testsupport {

struct DocumentedCommand {
    std::string request, ami, reply;
};

// The "### `name`" sections of "## Commands" in docs/topics.md (its text): the ```json block
// after "Request", the ```text block after "AMI", the ```json block after "Reply".
std::map<std::string, DocumentedCommand> documented_commands(const std::string& doc);

// Requests that must each be refused with an error reply and put nothing on the AMI socket, as
// (topic after "<base>/", payload): CR, LF, NUL and other control bytes in every string field of
// a dozen commands (header injection), wrong types, missing and unknown fields, bad JSON, numbers
// beyond range, sizes, nesting, unknown commands, and the setter topics' equivalents.
std::vector<std::pair<std::string, std::string>> hostile_requests();

}  // namespace testsupport

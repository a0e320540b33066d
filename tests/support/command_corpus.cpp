#include "command_corpus.hpp"

#include <regex>

#include <nlohmann/json.hpp>

namespace testsupport {

using nlohmann::json;

std::map<std::string, DocumentedCommand> documented_commands(const std::string& doc) {
    std::map<std::string, DocumentedCommand> out;
    const auto start = doc.find("\n## Commands");
    if (start == std::string::npos) return out;
    const auto end = doc.find("\n## ", start + 5);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::regex heading("\\n### `([a-z_]+)`");
    std::vector<std::pair<std::string, std::size_t>> heads;
    for (auto it = std::sregex_iterator(section.begin(), section.end(), heading); it != std::sregex_iterator(); ++it)
        heads.emplace_back((*it)[1].str(), static_cast<std::size_t>(it->position()));
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const std::size_t from = heads[i].second;
        const std::size_t to = i + 1 < heads.size() ? heads[i + 1].second : section.size();
        const std::string body = section.substr(from, to - from);
        auto block = [&](const std::string& label, const std::string& lang) {
            const auto at = body.find("\n" + label);
            if (at == std::string::npos) return std::string();
            const auto open = body.find("```" + lang + "\n", at);
            if (open == std::string::npos) return std::string();
            const auto first = open + 4 + lang.size();
            const auto close = body.find("\n```", first);
            return body.substr(first, close - first);
        };
        out[heads[i].first] = {block("Request", "json"), block("AMI", "text"), block("Reply", "json")};
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> hostile_requests() {
    std::vector<std::pair<std::string, std::string>> out;
    const std::vector<std::string> injections = {
        "2002\r\nAction: Originate\r\nChannel: SIP/2001\r\nExten: 900",  // a whole action
        "2002\r\n\r\nAction: Hangup\r\nChannel: SIP/2001",               // ends the message first
        "2002\nVariable: x=y",                                           // bare LF header
        "2002\rVariable: x=y",                                           // bare CR
        std::string("2002\0Action: Logoff", 19),                         // NUL
        "2002\x1b[2J",                                                   // other control bytes
        "\r\n",
    };
    // Every string field of these requests gets every injection.
    const std::vector<std::pair<std::string, json>> templates = {
        {"call", {{"from", "2001"}, {"to", "2002"}, {"context", "from-internal"}, {"caller_name", "Bob"}}},
        {"hangup", {{"channel", "SIP/2001-00000001"}}},
        {"dnd", {{"extension", "2002"}, {"enabled", true}}},
        {"call_forward", {{"extension", "2002"}, {"type", "always"}, {"to", "2003"}}},
        {"device_state", {{"device", "Custom:lamp"}, {"state", "INUSE"}}},
        {"queue_member_pause", {{"queue", "401"}, {"interface", "SIP/2003"}, {"reason", "lunch"}}},
        {"queue_member_add", {{"queue", "401"}, {"interface", "SIP/2004"}, {"name", "Dave"}}},
        {"conference_kick", {{"conference", "800"}, {"channel", "SIP/2001-00000001"}}},
        {"reload", {{"module", "app_queue.so"}}},
        {"dtmf", {{"channel", "SIP/2001-00000001"}, {"digits", "123"}}},
        {"record_start", {{"channel", "SIP/2001-00000001"}, {"file", "rec"}}},
        {"ami", {{"action", "Command"}, {"headers", {{"Command", "core show version"}}}}},
    };
    for (const auto& [command, base] : templates) {
        for (const auto& [key, value] : base.items()) {
            if (!value.is_string()) continue;
            for (const auto& inj : injections) {
                json j = base;
                j[key] = value.get<std::string>() + inj;
                out.emplace_back("cmd/" + command, j.dump(-1, ' ', false, json::error_handler_t::replace));
            }
        }
    }
    // Wrong types, missing and unknown fields, bad JSON, numbers, sizes, nesting.
    const std::vector<std::pair<std::string, std::string>> more = {
        {"cmd/call", R"({"from":2001,"to":"2002"})"},
        {"cmd/call", R"({"from":1e999,"to":"2002"})"},  // beyond a double: once a fatal exception (fuzzing)
        {"extensions/2002/dnd/set", R"({"enabled":true,"x":-1e400})"},
        {"cmd/call", R"({"from":["2001"],"to":"2002"})"},
        {"cmd/call", R"({"from":{"a":"2001"},"to":"2002"})"},
        {"cmd/call", R"({"from":"2001","to":"2002","auto_answer":"yes"})"},
        {"cmd/call", R"({"from":"2001"})"},
        {"cmd/call", R"({"from":"2001","to":"2002","extra":1})"},
        {"cmd/call", R"({"from":"2001","to":"2002","context":"from-trunk"})"},
        {"cmd/call", R"({"from":"2001","to":"2002;x"})"},
        {"cmd/call", R"({"from":"2001","to":"900,ChanSpy"})"},
        {"cmd/call", R"({"from":"nosuch","to":"2002"})"},
        {"cmd/call", R"({"from":"2001","to":")" + std::string(300, '1') + R"("})"},
        {"cmd/call", R"({"from":"2001","to":"2002","transaction":[1]})"},
        {"cmd/call", "null"},
        {"cmd/call", "[]"},
        {"cmd/call", "\"call\""},
        {"cmd/call", ""},
        {"cmd/call", "{"},
        {"cmd/call", "{\"from\":\"2001\",\"to\":\"2002\"}garbage"},
        {"cmd/call", std::string("{\"from\":\"20\xff\xfe\",\"to\":\"2002\"}")},
        {"cmd/call", std::string("{\"from\":\"2001\",\"to\":\"2002\"}\0", 29)},
        {"cmd/call", std::string(200, '[') + std::string(200, ']')},
        {"cmd/call", "{\"a\":" + std::string(50, '{') + std::string(50, '}') + "}"},
        {"cmd/call", "{\"from\":\"2001\",\"to\":\"2002\",\"caller_name\":\"" + std::string(70 * 1024, 'x') + "\"}"},
        {"cmd/hangup", R"({"extension":"2001","channel":"SIP/2001-1"})"},
        {"cmd/hangup", R"({})"},
        {"cmd/hangup", R"({"cause":"16","channel":"SIP/2001-00000001"})"},
        {"cmd/hangup", R"({"cause":999,"channel":"SIP/2001-00000001"})"},
        {"cmd/hangup", R"({"cause":-1e308,"channel":"SIP/2001-00000001"})"},
        {"cmd/hangup", R"({"cause":18446744073709551615,"channel":"SIP/2001-00000001"})"},
        {"cmd/dnd", R"({"extension":"2002","enabled":1})"},
        {"cmd/dnd", R"({"extension":"","enabled":true})"},
        {"cmd/dtmf", R"({"channel":"SIP/2001-00000001","digits":"1;2"})"},
        {"cmd/record_start", R"({"channel":"SIP/2001-00000001","file":"../../../etc/passwd"})"},
        {"cmd/record_start", R"({"channel":"SIP/2001-00000001","file":"/tmp/x"})"},
        {"cmd/device_state", R"({"device":"SIP/2001","state":"INUSE"})"},
        {"cmd/ami", R"({"action":"Command","headers":{"Command":"core stop now"}})"},
        {"cmd/ami", R"({"action":"Command","headers":{"ActionID":"x","Command":"a"}})"},
        {"cmd/queue_member_penalty", R"({"queue":"401","interface":"SIP/2003","penalty":2147483648})"},
        {"cmd/no_such_command", "{}"},
        {"cmd/CALL", R"({"from":"2001","to":"2002"})"},
        {"extensions/2002/dnd/set", "maybe"},
        {"extensions/2002/dnd/set", "ON\r\nAction: Logoff"},
        {"extensions/2002/dnd/set", R"({"enabled":true,"extension":"2001"})"},
        {"extensions/20 02/dnd/set", R"({"enabled":true,"transaction":5})"},
        {"extensions/nosuch/dnd/set", R"({"enabled":true,"transaction":1})"},
        {"extensions/2002/cf/set", R"({"type":"always","to":"2003\r\nAction: Originate"})"},
        {"queues/401/members/SIP_9999/paused/set", R"({"paused":true,"transaction":2})"},
        {"queues/401/members/SIP_2003/paused/set", R"({"paused":true,"reason":"x\ny","transaction":3})"},
    };
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

}  // namespace testsupport

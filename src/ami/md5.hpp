#pragma once
// MD5 (RFC 1321), only for the AMI challenge login: Key = md5_hex(challenge + secret).
#include <string>
#include <string_view>

namespace ami {
std::string md5_hex(std::string_view data);
}

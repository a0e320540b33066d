// config::plan_reload: what a SIGHUP applies, reconnects for, or refuses (the daemon applies the plan).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/reload.hpp"

namespace config_reload_test {  // named: the unity build compiles several test files as one

config::Config load(const std::string& extra_ami = {}, const std::string& rest = {}) {
    const std::string text = "[ami]\nusername = \"bridge\"\npassword = \"old-secret\"\n" + extra_ami + "\n" + rest;
    auto r = config::parse_string(text, "test.toml", [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
    return r.ok() ? *r.config : config::Config{};
}

using Names = std::vector<std::string>;

TEST(ConfigReload, AnIdenticalFileIsNoChange) {
    const auto plan = config::plan_reload(load(), load());
    EXPECT_TRUE(plan.unchanged());
    EXPECT_FALSE(plan.commands || plan.ami_reconnect || plan.ami_live || plan.mqtt_reconnect || plan.log_level || plan.trunks);
}

TEST(ConfigReload, TheSourcePathIsNotAChange) {
    auto a = load();
    auto b = load();
    b.source = "elsewhere.toml";
    EXPECT_TRUE(config::plan_reload(a, b).unchanged());
}

TEST(ConfigReload, DisabledCommandsApplyWithoutAnyReconnect) {
    const auto plan = config::plan_reload(load(), load({}, "[commands]\ndisabled = [\"hangup\"]\n"));
    EXPECT_EQ(plan.applied, (Names{"commands.disabled"}));
    EXPECT_TRUE(plan.commands);
    EXPECT_FALSE(plan.commands_enabled);
    EXPECT_FALSE(plan.ami_reconnect || plan.ami_live || plan.mqtt_reconnect);
    EXPECT_TRUE(plan.refused.empty());
}

TEST(ConfigReload, EnabledFlipIsFlaggedForSubscriptions) {
    const auto plan = config::plan_reload(load(), load({}, "[commands]\nenabled = false\n"));
    EXPECT_EQ(plan.applied, (Names{"commands.enabled"}));
    EXPECT_TRUE(plan.commands_enabled);
    EXPECT_TRUE(plan.commands);
}

TEST(ConfigReload, AmiConnectionSettingsReconnectAndNameNoPassword) {
    const auto plan = config::plan_reload(load(), load("host = \"10.0.0.9\"\nport = 5039\nkeepalive = 5000\n"));
    EXPECT_EQ(plan.applied, (Names{"ami.host", "ami.port", "ami.keepalive"}));
    EXPECT_TRUE(plan.ami_reconnect);
    EXPECT_FALSE(plan.commands);

    const auto pw = config::plan_reload(load(), config::Config(load()));
    EXPECT_TRUE(pw.unchanged());
    auto changed = load();
    changed.ami.password = config::Secret("new-secret");
    const auto p2 = config::plan_reload(load(), changed);
    EXPECT_EQ(p2.applied, (Names{"ami.password"}));
    EXPECT_TRUE(p2.ami_reconnect);
    for (const auto& n : p2.applied) EXPECT_EQ(n.find("secret"), std::string::npos) << n;
}

TEST(ConfigReload, AmiSettingsThatNeedNoReconnectApplyLive) {
    const auto plan = config::plan_reload(
        load(), load("reconnect_after = 500\nreconnect_max = 2000\naction_timeout = 2000\nprefix = \"9\"\n"));
    EXPECT_EQ(plan.applied, (Names{"ami.reconnect_after", "ami.reconnect_max", "ami.action_timeout", "ami.prefix"}));
    EXPECT_TRUE(plan.ami_live);
    EXPECT_FALSE(plan.ami_reconnect);
    EXPECT_TRUE(plan.commands);  // prefix and action_timeout are command rules
}

TEST(ConfigReload, MqttConnectionSettingsReconnect) {
    const auto plan = config::plan_reload(load(), load({}, "[mqtt]\nuri = \"tcp://127.0.0.1:1884\"\nclient_id = \"x\"\nkeepalive = 10\nversion = 4\n"));
    EXPECT_EQ(plan.applied, (Names{"mqtt.uri", "mqtt.client_id", "mqtt.version", "mqtt.keepalive"}));
    EXPECT_TRUE(plan.mqtt_reconnect);
    EXPECT_FALSE(plan.ami_reconnect);
}

TEST(ConfigReload, BaseTopicAndQosAreRefusedAndKeptWhileTheRestApplies) {
    const auto running = load();
    const auto next = load({}, "[mqtt]\nbase_topic = \"pbx2\"\nqos = 0\n[log]\nlevel = \"debug\"\n");
    const auto plan = config::plan_reload(running, next);
    EXPECT_EQ(plan.applied, (Names{"log.level"}));
    ASSERT_EQ(plan.refused.size(), 2u);
    EXPECT_NE(plan.refused[0].find("mqtt.base_topic changes need a restart"), std::string::npos) << plan.refused[0];
    EXPECT_NE(plan.refused[1].find("mqtt.qos changes need a restart"), std::string::npos) << plan.refused[1];
    EXPECT_FALSE(plan.unchanged());
    EXPECT_FALSE(plan.mqtt_reconnect);
    const auto kept = config::reloaded_config(running, next);
    EXPECT_EQ(kept.mqtt.base_topic, "pbx");
    EXPECT_EQ(kept.mqtt.qos, 1);
    EXPECT_EQ(kept.log.level, "debug");
    // Reloading the same file again: still refused, nothing else to apply.
    const auto again = config::plan_reload(kept, next);
    EXPECT_TRUE(again.applied.empty());
    EXPECT_EQ(again.refused.size(), 2u);
}

TEST(ConfigReload, NodeIdIsRefusedAndKept) {
    const auto running = load();
    const auto next = load({}, "[pbx]\nnode_id = \"site-a\"\n");
    const auto plan = config::plan_reload(running, next);
    EXPECT_TRUE(plan.applied.empty());
    ASSERT_EQ(plan.refused.size(), 1u);
    EXPECT_EQ(plan.refused[0], "pbx.node_id changes need a restart (still publishing under 'pbx')");
    EXPECT_EQ(config::reloaded_config(running, next).pbx.node_id, "");
    EXPECT_EQ(config::reloaded_config(running, next).topic_root(), "pbx");
}

TEST(ConfigReload, HomeAssistantChangesAreRefusedAndKept) {
    const auto running = load();
    const auto next = load({}, "[homeassistant]\nenabled = true\n");
    const auto plan = config::plan_reload(running, next);
    EXPECT_TRUE(plan.applied.empty());
    ASSERT_EQ(plan.refused.size(), 1u);
    EXPECT_NE(plan.refused[0].find("homeassistant changes need a restart"), std::string::npos) << plan.refused[0];
    EXPECT_FALSE(config::reloaded_config(running, next).homeassistant.enabled);
}

TEST(ConfigReload, ProcessCpuIsRefusedAndKept) {
    const auto running = load();
    const auto next = load({}, "[process]\ncpu = \"any\"\n");
    const auto plan = config::plan_reload(running, next);
    EXPECT_TRUE(plan.applied.empty());
    ASSERT_EQ(plan.refused.size(), 1u);
    EXPECT_EQ(plan.refused[0], "process.cpu changes need a restart (the process stays on the CPUs it has)");
    EXPECT_EQ(config::reloaded_config(running, next).process.cpu.mode, process::CpuSetting::Mode::One);
}

TEST(ConfigReload, TrunksAndLogLevel) {
    const auto plan = config::plan_reload(load(), load({}, "[pbx]\ntrunks = [\"t1\"]\n[log]\nlevel = \"warn\"\n"));
    EXPECT_EQ(plan.applied, (Names{"pbx.trunks", "log.level"}));
    EXPECT_TRUE(plan.trunks);
    EXPECT_TRUE(plan.log_level);
}

}  // namespace

// The live operator panel (web/) against the real stack: mosquitto serves the page (http_dir) and
// MQTT over WebSockets on one listener, the bridge and the simulator run as always, and headless
// Chromium (Debian's, driven by playwright-core: tests/web/panel_test.mjs) checks the lamps, a
// lamp changing colour when the simulator unregisters a phone, and click-to-call reaching the
// simulator as an Originate, and the card's Hang up button ending it. The screenshot stays in the test
// output (panel.png) for review.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>

#include "harness.hpp"

namespace web_panel_test {  // named: the unity build compiles several test files as one

using namespace harness;
namespace fs = std::filesystem;

constexpr auto kWait = 10s;

TEST(WebPanel, LampsFollowThePbxAndClickToCallReachesIt) {
    const fs::path modules = node_dir() / "node_modules";
    const char* chromium_env = std::getenv("CHROMIUM");
    const fs::path chromium = chromium_env ? chromium_env : "/usr/bin/chromium";
    if (!fs::exists(modules / "playwright-core") || !fs::exists(modules / "mqtt/dist/mqtt.min.js"))
        GTEST_SKIP() << "playwright-core or mqtt not installed in " << modules << ": run scripts/node-deps.sh";
    if (!fs::exists(chromium)) GTEST_SKIP() << chromium << " is not installed: run scripts/node-deps.sh (Debian package chromium)";

    // The page, as a user would serve it: web/ plus mqtt.js's browser bundle.
    const fs::path out = test_output_dir();
    const fs::path www = out / "www";
    fs::create_directories(www);
    for (const auto& f : fs::directory_iterator(fs::path(PBX2MQTT_SOURCE_DIR) / "web"))
        fs::copy_file(f.path(), www / f.path().filename(), fs::copy_options::overwrite_existing);
    fs::copy_file(modules / "mqtt/dist/mqtt.min.js", www / "mqtt.min.js", fs::copy_options::overwrite_existing);

    // mosquitto 2.0.11 starts a websockets listener only beside a plain one (the harness's).
    const std::uint16_t ws_port = free_tcp_port();
    MosquittoOptions mo;
    mo.extra = "listener " + std::to_string(ws_port) + " 127.0.0.1\nprotocol websockets\nhttp_dir " + www.string() + "\n";
    Mosquitto broker(mo);
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    Bridge bridge(c);
    ASSERT_TRUE(bridge.process().wait_for_log("PBX snapshot:", kWait)) << bridge.log();
    ASSERT_TRUE(wait_for_port(ws_port, kWait)) << broker.log();

    // The browser test script, next to a node_modules link (ES modules resolve from the script).
    fs::copy_file(fs::path(PBX2MQTT_SOURCE_DIR) / "tests/web/panel_test.mjs", out / "panel_test.mjs", fs::copy_options::overwrite_existing);
    std::error_code ec;
    fs::remove(out / "node_modules", ec);
    fs::create_directory_symlink(fs::absolute(modules), out / "node_modules");
    const fs::path screenshot = out / "panel.png";
    Process browser({"node", (out / "panel_test.mjs").string(), "http://127.0.0.1:" + std::to_string(ws_port) + "/index.html",
                     std::to_string(sim.control_port()), screenshot.string()},
                    {{"CHROMIUM", chromium.string()}}, "panel-test");
    int status = 0;
    ASSERT_TRUE(browser.wait_exit(90s, &status)) << browser.log();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << browser.log() << "\n" << bridge.log();
    EXPECT_TRUE(fs::exists(screenshot) && fs::file_size(screenshot) > 10000) << browser.log();
    RecordProperty("screenshot", screenshot.string());
    std::cout << browser.log();
}

}  // namespace web_panel_test

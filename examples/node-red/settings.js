// Node-RED settings for examples/node-red/flows.json (node-red --settings settings.js --userDir DIR,
// with flows.json in DIR). Loopback only by default; the broker comes from the environment.
process.env.MQTT_HOST = process.env.MQTT_HOST || "127.0.0.1";
process.env.MQTT_PORT = process.env.MQTT_PORT || "1883";

module.exports = {
    uiHost: process.env.NODE_RED_HOST || "127.0.0.1",
    uiPort: Number(process.env.NODE_RED_PORT || 1880),
    flowFile: "flows.json",
    credentialSecret: false,
    logging: { console: { level: "info", metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false },
};

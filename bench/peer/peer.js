#!/usr/bin/env node
// pbx2mqtt benchmark peer: the small AMI -> MQTT bridge people write instead of pbx2mqtt,
// on the npm packages `asterisk-manager` and `mqtt`. See README.md.
//
// Publishes <PREFIX>/extensions/<Exten>/status (retained, QoS 1) from ExtensionStatus events
// and from the ExtensionStateList answer sent after every (re)connect to AMI.
'use strict';

const { parseArgs } = require('node:util');
const AsteriskManager = require('asterisk-manager');
const mqtt = require('mqtt');

// --- configuration: command-line flags win over the environment ---------------------------
const { values: args } = parseArgs({
  options: {
    'ami-host': { type: 'string' },
    'ami-port': { type: 'string' },
    'ami-user': { type: 'string' },
    'ami-secret': { type: 'string' },
    'mqtt-url': { type: 'string' },
    prefix: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log('usage: node peer.js [--ami-host H] [--ami-port P] [--ami-user U] [--ami-secret S]\n' +
              '                    [--mqtt-url mqtt://host:port] [--prefix peer]\n' +
              'env: AMI_HOST AMI_PORT AMI_USER AMI_SECRET MQTT_URL PREFIX');
  process.exit(0);
}
const config = {
  amiHost: args['ami-host'] ?? process.env.AMI_HOST ?? '127.0.0.1',
  amiPort: Number(args['ami-port'] ?? process.env.AMI_PORT ?? 5038),
  amiUser: args['ami-user'] ?? process.env.AMI_USER ?? 'admin',
  amiSecret: args['ami-secret'] ?? process.env.AMI_SECRET ?? '',
  mqttUrl: args['mqtt-url'] ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
  prefix: (args.prefix ?? process.env.PREFIX ?? 'peer').replace(/\/+$/, ''),
};

// --- extension state code (ExtensionStatus "Status") -> pbx2mqtt's status names ------------
const STATUS_BY_CODE = new Map([
  [-2, 'offline'],      // deleted
  [-1, 'offline'],      // removed
  [0, 'online'],        // idle
  [1, 'busy'],          // in use
  [2, 'busy'],          // busy
  [4, 'offline'],       // unavailable
  [8, 'ringing'],       // ringing
  [9, 'busy_ringing'],  // in use + ringing
  [16, 'onhold'],       // on hold
  [17, 'onhold'],       // in use + on hold
]);
// StatusText (ast_extension_state2str), used only when Status is missing or not a known code.
const STATUS_BY_TEXT = new Map([
  ['deleted', 'offline'], ['removed', 'offline'], ['idle', 'online'], ['inuse', 'busy'],
  ['busy', 'busy'], ['unavailable', 'offline'], ['ringing', 'ringing'],
  ['inuse&ringing', 'busy_ringing'], ['hold', 'onhold'], ['inuse&hold', 'onhold'],
]);

function statusName(evt) {
  const code = Number.parseInt(evt.status, 10);
  if (STATUS_BY_CODE.has(code)) return STATUS_BY_CODE.get(code);
  if (typeof evt.statustext === 'string') return STATUS_BY_TEXT.get(evt.statustext.toLowerCase());
  return undefined;
}

// --- counters and readiness ----------------------------------------------------------------
const stats = { events: 0, publishes: 0 };
const lastStatus = new Map(); // topic -> last published payload
let amiReady = false;
let mqttReady = false;
let announced = false;

function log(...parts) {
  console.error(new Date().toISOString(), ...parts);
}

function maybeReady() {
  if (!announced && amiReady && mqttReady) {
    announced = true;
    process.stdout.write('ready\n');
  }
}

function printSummary() {
  process.stdout.write(JSON.stringify(stats) + '\n');
}

// --- MQTT ----------------------------------------------------------------------------------
const client = mqtt.connect(config.mqttUrl, {
  clientId: `pbx2mqtt-bench-peer-${process.pid}`,
  clean: true,
  reconnectPeriod: 1000,
});
client.on('connect', () => {
  log('mqtt connected to', config.mqttUrl);
  mqttReady = true;
  maybeReady();
});
client.on('reconnect', () => log('mqtt reconnecting'));
client.on('offline', () => log('mqtt offline'));
client.on('error', (err) => log('mqtt error:', err.message));

function publishStatus(exten, status) {
  const topic = `${config.prefix}/extensions/${String(exten).replace(/[+#/]/g, '_')}/status`;
  if (lastStatus.get(topic) === status) return;
  lastStatus.set(topic, status);
  stats.publishes++;
  client.publish(topic, status, { qos: 1, retain: true }, (err) => {
    if (err) log('mqtt publish failed:', topic, err.message);
  });
}

// --- AMI -----------------------------------------------------------------------------------
// The library logs in by itself on every (re)connect, with events on.
const ami = new AsteriskManager(config.amiPort, config.amiHost, config.amiUser, config.amiSecret, true);
ami.keepConnected(); // reconnects after a close (10 s, then +10 s per try up to 60 s)

ami.on('connect', () => {
  log(`ami connected to ${config.amiHost}:${config.amiPort}`);
  // Held by the library until the login succeeds; its answer therefore means "logged in".
  ami.action({ action: 'ExtensionStateList' }, (err, res) => {
    if (err) {
      log('ExtensionStateList failed:', err.message || err.response);
      return;
    }
    log('ami logged in:', res.message || res.response);
    amiReady = true;
    maybeReady();
  });
});
ami.on('close', () => {
  amiReady = false;
  log('ami connection closed');
});
ami.on('error', (err) => log('ami error:', err.message));

ami.on('managerevent', () => {
  stats.events++;
});
// Live changes and the ExtensionStateList items alike.
ami.on('extensionstatus', (evt) => {
  const status = statusName(evt);
  if (status !== undefined && evt.exten) publishStatus(evt.exten, status);
});

// --- signals -------------------------------------------------------------------------------
process.on('SIGUSR2', printSummary);

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  printSummary();
  log(`${signal}: closing`);
  ami.disconnect();
  // Let the in-flight QoS 1 publishes finish, but do not wait for ever.
  const timer = setTimeout(() => process.exit(0), 2000);
  client.end(false, {}, () => {
    clearTimeout(timer);
    process.exit(0);
  });
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

// pbx2mqtt operator panel: the bridge's retained topics over MQTT-over-WebSockets, live.
//   index.html?base=pbx&broker=ws://host:port   (defaults: pbx, the page's own host: mosquitto
//   serves this page with http_dir on its websockets listener)
// Extensions: a lamp per status, the counterpart and duration of the current call, hangup.
// Queues: waiting callers and members. Parkings: parked calls. Click-to-call: pbx/cmd/call with
// an MQTT 5 response topic and correlation data; the reply shows under the form.
"use strict";

const params = new URLSearchParams(location.search);
const base = params.get("base") || "pbx";
const brokerUrl = params.get("broker") || `ws://${location.host}`;
const clientId = "panel-" + Math.random().toString(16).slice(2, 10);
const replyTopic = `panel/${clientId}/reply`;

const extensions = new Map();  // exten -> last JSON
const queues = new Map();
const parkings = new Map();
const pending = new Map();     // correlation id -> description of the request

const $ = (id) => document.getElementById(id);
const text = (tag, value, cls) => {
  const e = document.createElement(tag);
  e.textContent = value;
  if (cls) e.className = cls;
  return e;
};

function seconds(ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// The first conversation of an extension: "with <number> <name> m:ss" once connected, else
// "calling ..." (it dialed) or "call from ..." (it rings).
function currentCall(ext) {
  const convs = Object.values(ext.conversations || {});
  if (convs.length === 0) return "";
  const c = convs[0];
  const prefix = `${ext.tech}/${ext.exten}-`;
  const dialed = !!(c.chSource && c.chSource.channel && c.chSource.channel.startsWith(prefix));
  const other = dialed ? c.chDest : c.chSource;
  const who = other ? `${other.callerNum || ""} ${other.callerName || ""}`.trim() : "";
  const since = c.chSource && c.chSource.startTime ? seconds(c.chSource.startTime) : "";
  const verb = c.connected ? "with" : dialed ? "calling" : "call from";
  return `${verb} ${who || "?"} ${since}`.trim();
}

function renderExtensions() {
  const grid = $("extensions");
  grid.replaceChildren();
  for (const [exten, ext] of [...extensions.entries()].sort((a, b) => a[0].localeCompare(b[0], undefined, {numeric: true}))) {
    const card = document.createElement("div");
    card.className = "ext";
    card.id = `ext-${exten}`;
    card.dataset.status = ext.status;
    const head = document.createElement("div");
    head.className = "head";
    head.append(text("span", "", "lamp"), text("span", exten));
    card.append(head, text("span", ext.name || "", "name"), text("span", ext.status, "status"));
    card.append(text("span", currentCall(ext), "call"));
    if (Object.keys(ext.conversations || {}).length > 0) {
      const hangup = text("button", "Hang up");
      hangup.addEventListener("click", () => command("hangup", {extension: exten}, `hang up ${exten}`));
      card.append(hangup);
    }
    grid.append(card);
  }
}

function renderQueues() {
  const box = $("queues");
  box.replaceChildren();
  for (const [name, q] of queues) {
    const div = document.createElement("div");
    div.id = `queue-${name}`;
    div.append(text("strong", `${name} `), text("span", `${q.calls_waiting} waiting, ${q.members.available}/${q.members.total} members available`));
    for (const c of q.callers || []) div.append(text("div", `#${c.position} ${c.number} ${c.name || ""} (${seconds(Date.parse(c.joined_at))})`));
    box.append(div);
  }
}

function renderParkings() {
  const box = $("parkings");
  box.replaceChildren();
  for (const [name, lot] of parkings) {
    const div = document.createElement("div");
    div.id = `parking-${name}`;
    div.append(text("strong", `${name} `), text("span", `${lot.parked} parked`));
    for (const slot of Object.values(lot.slots || {}))
      div.append(text("div", `slot ${slot.slot}: ${slot.parkee.number} ${slot.parkee.name || ""} (${seconds(Date.parse(slot.parked_at))})`));
    box.append(div);
  }
}

const client = mqtt.connect(brokerUrl, {protocolVersion: 5, clientId, clean: true, reconnectPeriod: 2000});

function command(name, request, what) {
  const id = Math.random().toString(16).slice(2);
  pending.set(id, what);
  client.publish(`${base}/cmd/${name}`, JSON.stringify(request), {
    qos: 1,
    properties: {responseTopic: replyTopic, correlationData: new TextEncoder().encode(id)},
  });
  const reply = $("reply");
  reply.dataset.status = "pending";
  reply.textContent = `${what}…`;
}

client.on("connect", () => {
  $("broker").dataset.state = "connected";
  $("broker").textContent = "broker: connected";
  client.subscribe([`${base}/bridge/state`, `${base}/extensions/+`, `${base}/queues/+`, `${base}/parkings/+`, replyTopic], {qos: 1});
});
client.on("close", () => {
  $("broker").dataset.state = "disconnected";
  $("broker").textContent = "broker: disconnected";
});

client.on("message", (topic, payload, packet) => {
  const body = payload.toString();
  if (topic === replyTopic) {
    const id = packet.properties && packet.properties.correlationData ? new TextDecoder().decode(packet.properties.correlationData) : "";
    const what = pending.get(id) || "request";
    pending.delete(id);
    const r = JSON.parse(body);
    const reply = $("reply");
    reply.dataset.status = r.status;
    reply.textContent = r.status === "ok" ? `${what}: ok` : `${what}: ${r.error.code}: ${r.error.message}`;
    return;
  }
  if (topic === `${base}/bridge/state`) {
    $("bridge").dataset.state = body;
    $("bridge").textContent = `bridge: ${body || "?"}`;
    return;
  }
  const [, collection, id] = topic.split("/");
  const maps = {extensions, queues, parkings};
  const map = maps[collection];
  if (!map) return;
  if (body === "") map.delete(id);  // cleared: it is gone
  else map.set(id, JSON.parse(body));
  if (collection === "extensions") renderExtensions();
  else if (collection === "queues") renderQueues();
  else renderParkings();
});

$("call-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const from = $("call-from").value.trim();
  const to = $("call-to").value.trim();
  command("call", {from, to}, `call ${from} → ${to}`);
});

// Durations tick without republishing anything.
setInterval(() => { renderExtensions(); renderQueues(); renderParkings(); }, 1000);

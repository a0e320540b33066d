// The operator panel (web/) in headless Chromium (Debian's, driven by playwright-core): the page
// connects to mosquitto over WebSockets, shows the lamps, follows a change made in the simulator,
// its Call button places a call that reaches the simulator as an Originate, and the card's Hang up
// button ends it.
//   node panel_test.mjs <page url> <simulator control port> <screenshot.png>
// Exits 0 when every check holds; prints each check. Run by tests/integration/web_panel_test.cpp.
import net from "node:net";
import { chromium } from "playwright-core";

const [url, controlPort, screenshot] = process.argv.slice(2);
const timeout = 10000;

function control(line) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(controlPort), "127.0.0.1", () => sock.write(line + "\n"));
    let data = "";
    sock.setTimeout(timeout, () => { sock.destroy(); reject(new Error(`no reply to '${line}'`)); });
    sock.on("data", (d) => {
      data += d;
      const nl = data.indexOf("\n");
      if (nl >= 0) { sock.end(); resolve(data.slice(0, nl).replace(/\r$/, "")); }
    });
    sock.on("error", reject);
  });
}

const lampColour = (page, exten) =>
  page.$eval(`#ext-${exten} .lamp`, (e) => getComputedStyle(e).backgroundColor);

function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) process.exitCode = 1;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("console", (m) => console.log(`page: ${m.text()}`));
  page.on("pageerror", (e) => { console.log(`page error: ${e.message}`); process.exitCode = 1; });
  await page.goto(url);

  await page.waitForSelector(`#bridge[data-state="online"]`, { timeout });
  check(true, "the bridge shows online");
  await page.waitForSelector(`#ext-2001[data-status="online"]`, { timeout });
  await page.waitForSelector(`#ext-2003[data-status="online"]`, { timeout });
  const green = await lampColour(page, "2003");
  check(green === "rgb(46, 133, 64)", `2003's lamp is green while online (${green})`);
  check((await page.locator(".ext").count()) >= 6, "every extension has a card");
  check((await page.locator("#queue-401").count()) === 1, "queue 401 is listed");

  // A change in the PBX: the lamp follows.
  check((await control("unregister 2003")) === "OK", "the simulator unregisters 2003");
  await page.waitForSelector(`#ext-2003[data-status="offline"]`, { timeout });
  const grey = await lampColour(page, "2003");
  check(grey === "rgb(150, 150, 150)", `2003's lamp turns grey when it goes offline (${grey})`);

  // Click-to-call: the reply shows, and the Originate reached the PBX.
  await page.fill("#call-from", "2001");
  await page.fill("#call-to", "2002");
  await page.click("#call-button");
  await page.waitForSelector(`#reply[data-status="ok"]`, { timeout });
  check(true, `the call reply shows: ${await page.textContent("#reply")}`);
  const originate = await control("last-action Originate");
  check(originate.startsWith("OK ") && originate.includes("Channel%3A%20SIP%2F2001%0D%0A") && originate.includes("Exten%3A%202002%0D%0A"),
        "the Originate of 2001 -> 2002 reached the simulator");
  // The call rings: 2001's card shows it, with a hang-up button.
  await page.waitForSelector(`#ext-2001 button`, { timeout });
  check(true, `2001's card shows its call (${await page.textContent("#ext-2001 .call")}) and a hang-up button`);
  await page.screenshot({ path: screenshot, fullPage: true });

  // Hang up from the card: the reply shows, the Hangup reached the PBX, the lamp turns green again.
  await page.click("#ext-2001 button");
  await page.waitForFunction(() => document.querySelector("#reply").textContent === "hang up 2001: ok", null, { timeout });
  check(true, "the hang-up reply shows");
  const hangup = await control("last-action Hangup");
  check(hangup.startsWith("OK ") && hangup.includes("Channel%3A%20SIP%2F2001-"), "the Hangup of 2001's channel reached the simulator");
  await page.waitForSelector(`#ext-2001[data-status="online"]`, { timeout });
  check((await page.locator("#ext-2001 button").count()) === 0, "2001 is idle again, without a hang-up button");

  check(true, `screenshot (taken during the call): ${screenshot}`);
} catch (e) {
  console.log(`FAIL ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

// Helpers shared by the browser tests: environment, checks, timed steps,
// console-error watching, screenshots and the Chromium launch.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

// must returns an environment variable or exits with code 2.
function must(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

function check(cond, msg) {
  if (!cond) throw new Error("check failed: " + msg);
}

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

// consoleErrors collects the console errors and page errors of the pages
// given to watch, but the expected ones (a refused sign-in: 400/401).
const consoleErrors = [];
const expectedErrors = /Failed to load resource: the server responded with a status of 40[01]/;
function watch(page, label) {
  page.on("console", (m) => {
    if (m.type() === "error" && !expectedErrors.test(m.text())) consoleErrors.push(`${label}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${label}: ${e.message}`));
}

// shot saves a full-page screenshot under SFTPGO_SCREENSHOTS.
async function shot(page, name) {
  const dir = must("SFTPGO_SCREENSHOTS");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name + ".png"), fullPage: true });
}

// launch starts headless Chromium (CHROMIUM_PATH, default Debian's).
function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

// signIn signs in on a web login page and waits for the landing page.
async function signIn(page, base, side, user, pass, landing) {
  await page.goto(base + `/web/${side}/login`);
  await page.fill("#username", user);
  await page.fill("#password", pass);
  await Promise.all([page.waitForURL(landing), page.click("button[type=submit]")]);
}

// run runs main, exiting 0 on success and 1 with the error otherwise.
function run(main) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e && e.stack ? e.stack : e);
      if (consoleErrors.length) console.error("console errors:\n" + consoleErrors.join("\n"));
      process.exit(1);
    },
  );
}

module.exports = { must, check, step, watch, consoleErrors, shot, launch, signIn, run };

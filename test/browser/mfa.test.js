// Two-factor authentication in headless Chromium.
//
// Driven by internal/e2e/browser_mfa_test.go (same environment as
// web.test.js). A user created through the REST API signs in to the web
// client, enrols TOTP on the two-factor page (the QR code is an image the
// browser renders; the code is computed here from the secret the page
// shows), signs out, and signs in again: the password page leads to the
// code page, a wrong code is refused and the current one opens the files.
// Then the admin does the same in the web admin. Exit code 0 means success.
"use strict";

const crypto = require("crypto");
const path = require("path");
const { must, check, step, watch, consoleErrors, shot, launch, run } = require("./lib");

const base = must("SFTPGO_URL");
const adminUser = must("SFTPGO_ADMIN_USER");
const adminPass = must("SFTPGO_ADMIN_PASSWORD");
const homeBase = must("SFTPGO_HOME_BASE");

// RFC 6238 with SHA-1, 6 digits, 30 s steps; offset in steps.
function totp(secret, offset = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const h = crypto.createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  return ((h.readUInt32BE(o) & 0x7fffffff) % 1000000).toString().padStart(6, "0");
}

// waits out the end of a 30 s step, so codes stay valid while used
async function freshStep() {
  while ((Date.now() / 1000) % 30 > 22) await new Promise((r) => setTimeout(r, 500));
}


async function api(method, p, token, body) {
  const r = await fetch(base + p, {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return [r.status, await r.text()];
}

// enrol turns TOTP on from the two-factor page and returns the secret.
async function enrol(page, side, label) {
  await page.click('[data-testid="nav-mfa"]');
  await page.waitForURL(new RegExp(`/web/${side}/mfa`));
  check((await page.locator('[data-testid="mfa-status"]').innerText()).startsWith("Off"), label + ": starts off");
  await Promise.all([page.waitForLoadState("load"), page.click('[data-testid="mfa-setup-form"] button[type=submit]')]);
  await page.waitForSelector('[data-testid="mfa-qr"]');
  const qrWidth = await page.locator('[data-testid="mfa-qr"]').evaluate((img) => img.naturalWidth);
  check(qrWidth > 0, label + ": the QR code renders");
  const secret = (await page.locator('[data-testid="mfa-secret"]').innerText()).trim();
  check(/^[A-Z2-7]{32}$/.test(secret), label + ": secret shown: " + secret);
  await shot(page, side + "-mfa-setup");
  await freshStep();
  await page.fill("#f-passcode", totp(secret, -1));
  await Promise.all([page.waitForLoadState("load"), page.click('[data-testid="mfa-enable-form"] button[type=submit]')]);
  const flash = await page.locator('[data-testid="flash"]').innerText();
  check(flash.includes("Two-factor authentication is on"), label + ": enabled: " + flash);
  check((await page.locator('[data-testid="mfa-fresh-codes"] li').count()) === 12, label + ": 12 recovery codes shown");
  await shot(page, side + "-mfa-on");
  return secret;
}

// signInWithCode signs in with the password, then the code.
async function signInWithCode(page, side, user, pass, secret, landing) {
  await page.goto(base + `/web/${side}/login`);
  await page.fill("#username", user);
  await page.fill("#password", pass);
  await Promise.all([page.waitForURL(new RegExp(`/web/${side}/login/2fa`)), page.click("button[type=submit]")]);
  await shot(page, side + "-login-2fa");
  await page.fill("#passcode", "000000");
  await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
  check((await page.locator('[data-testid="form-error"]').innerText()).includes("Invalid authentication code"), side + ": wrong code refused");
  await freshStep();
  await page.fill("#passcode", totp(secret, 0));
  await Promise.all([page.waitForURL(landing), page.click("button[type=submit]")]);
}

async function main() {
  const browser = await launch();
  const username = "mfatester";
  const userPass = "Mfa-Tester-pass!";
  try {
    const tr = await fetch(base + "/api/v2/token", {
      headers: { Authorization: "Basic " + Buffer.from(`${adminUser}:${adminPass}`).toString("base64") },
    });
    const token = (await tr.json()).access_token;
    const [st, body] = await api("POST", "/api/v2/users", token, {
      username, password: userPass, status: 1, home_dir: path.join(homeBase, username), permissions: { "/": ["*"] },
    });
    check(st === 201, "user created: " + st + " " + body);

    const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await ctx.newPage();
    watch(page, "client");
    page.setDefaultTimeout(20000);
    let secret;
    await step("user signs in and enrols TOTP", async () => {
      await page.goto(base + "/web/client/login");
      await page.fill("#username", username);
      await page.fill("#password", userPass);
      await Promise.all([page.waitForURL(/\/web\/client\/files/), page.click("button[type=submit]")]);
      secret = await enrol(page, "client", "user");
    });
    await step("user signs out and back in with password and code", async () => {
      await Promise.all([page.waitForURL(/\/web\/client\/login/), page.click('[data-testid="logout"]')]);
      await signInWithCode(page, "client", username, userPass, secret, /\/web\/client\/files/);
      check((await page.locator(".who").innerText()).includes(username), "signed in as the user");
      await shot(page, "client-files-after-2fa");
    });

    const actx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const apage = await actx.newPage();
    watch(apage, "admin");
    apage.setDefaultTimeout(20000);
    let asecret;
    await step("admin enrols TOTP in the web admin", async () => {
      await apage.goto(base + "/web/admin/login");
      await apage.fill("#username", adminUser);
      await apage.fill("#password", adminPass);
      await Promise.all([apage.waitForURL(/\/web\/admin\/users/), apage.click("button[type=submit]")]);
      asecret = await enrol(apage, "admin", "admin");
    });
    await step("admin signs out and back in with password and code", async () => {
      await Promise.all([apage.waitForURL(/\/web\/admin\/login/), apage.click('[data-testid="logout"]')]);
      await signInWithCode(apage, "admin", adminUser, adminPass, asecret, /\/web\/admin\/users/);
    });

    check(consoleErrors.length === 0, "no console errors:\n" + consoleErrors.join("\n"));
    console.log("browser test passed");
  } finally {
    await browser.close();
  }
}

run(main);

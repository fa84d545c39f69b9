// Browser test of OpenID Connect sign-in, branding and the paged users
// list, in headless Chromium.
//
// Driven by internal/e2e/browser_oidc_test.go, which starts an OpenID
// Provider (zitadel's op package) and the server, and sets:
//   SFTPGO_URL            base URL of the server
//   IDP_URL               base URL of the provider
//   IDP_ADMIN, IDP_ADMIN_PASSWORD  provider account whose role claim is "admin"
//   IDP_USER, IDP_USER_PASSWORD    provider account mapped to an SFTPGo user
//   BRAND_NAME, BRAND_LOGO         web client branding to find on its login page
//   BULK_USERS            how many users the list holds (for the timing)
//   SFTPGO_SCREENSHOTS    where to write screenshots
//   CHROMIUM_PATH         browser executable (default /usr/bin/chromium)
//
// The scenario: the branded web client login page shows the name and the
// logo; the admin signs in through the provider from that page and, by
// the role claim, lands on the web admin users page; the first page of
// the users list and a search are timed; signing out ends the provider
// session and comes back to our login page; the user signs in through
// the provider from the admin login page and lands on the files page.
"use strict";

const { chromium } = require("playwright-core");
const path = require("path");
const fs = require("fs");

const env = (n) => {
  const v = process.env[n];
  if (!v) {
    console.error(`missing environment variable ${n}`);
    process.exit(2);
  }
  return v;
};
const base = env("SFTPGO_URL");
const idp = env("IDP_URL");
const shots = env("SFTPGO_SCREENSHOTS");
const brandName = env("BRAND_NAME");
const brandLogo = env("BRAND_LOGO");
const bulk = env("BULK_USERS");

function check(cond, msg) {
  if (!cond) throw new Error("check failed: " + msg);
}

const consoleErrors = [];
function watch(page, label) {
  page.on("console", (m) => {
    // only our pages count: the provider's example login page is not ours
    const url = (m.location() && m.location().url) || "";
    if (m.type() === "error" && !url.startsWith(idp)) consoleErrors.push(`${label}: ${m.text()} (${url})`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${label}: ${e.message}`));
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
  console.log("screenshot", name);
}

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

// signInAtIdP fills the provider's login form.
async function signInAtIdP(page, user, pass) {
  await page.waitForURL((u) => u.toString().startsWith(idp + "/login/username"));
  await page.fill("#username", user);
  await page.fill("#password", pass);
  await page.click("button[type=submit]");
}

// navTiming is the browser's own measure of the last navigation: from
// the request start to the load event.
async function navTiming(page) {
  return page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { ttfb: Math.round(n.responseStart - n.requestStart), load: Math.round(n.loadEventEnd - n.startTime) };
  });
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    watch(page, "admin");

    await step("branded login page", async () => {
      await page.goto(base + "/web/client/login");
      const title = await page.title();
      check(title.includes(brandName), `title ${title} names ${brandName}`);
      check((await page.locator('[data-testid="brand"]').innerText()).includes(brandName), "brand name shown");
      const logo = page.locator('[data-testid="brand-logo"]');
      check((await logo.getAttribute("src")).endsWith(brandLogo), "brand logo used");
      const width = await logo.evaluate((img) => img.complete && img.naturalWidth);
      check(width > 0, "brand logo loaded");
      check(await page.locator('[data-testid="oidc-login"]').count() === 1, "OpenID button shown");
      await shot(page, "oidc-client-login-branded");
    });

    await step("admin signs in through the provider; the role claim maps to admin", async () => {
      await page.click('[data-testid="oidc-login"]');
      await signInAtIdP(page, env("IDP_ADMIN"), env("IDP_ADMIN_PASSWORD"));
      await page.waitForURL(/\/web\/admin\/users/);
      check(await page.locator('[data-testid="users-table"]').count() === 1, "users table shown");
      await shot(page, "oidc-admin-home");
    });

    await step(`first page of ${bulk} users`, async () => {
      const t0 = Date.now();
      await page.goto(base + "/web/admin/users");
      await page.waitForSelector('[data-testid="users-table"] tbody tr');
      const wall = Date.now() - t0;
      const t = await navTiming(page);
      const rows = await page.locator('[data-testid="users-table"] tbody tr').count();
      check(rows === 25, "a page of 25 users: " + rows);
      console.log(`measure users-first-page users=${bulk} wall_ms=${wall} ttfb_ms=${t.ttfb} load_ms=${t.load}`);
      const s0 = Date.now();
      await page.goto(base + "/web/admin/users?q=bulk09999");
      await page.waitForSelector('[data-testid="users-table"] tbody tr');
      const sw = Date.now() - s0;
      const st = await navTiming(page);
      const found = await page.locator('[data-testid="users-table"] tbody tr').count();
      check(found === 1 && await page.locator('[data-testid="users-table"] a:text-is("bulk09999")').count() === 1, "search finds the last user only: " + found);
      console.log(`measure users-search users=${bulk} wall_ms=${sw} ttfb_ms=${st.ttfb} load_ms=${st.load}`);
      await shot(page, "admin-users-search");
    });

    await step("sign out ends the provider session", async () => {
      await page.click('[data-testid="logout"]');
      await page.waitForURL(/\/web\/admin\/login/);
      await page.goto(base + "/web/admin/users");
      await page.waitForURL(/\/web\/admin\/login/);
    });

    const uctx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const up = await uctx.newPage();
    up.setDefaultTimeout(20000);
    watch(up, "user");
    await step("user signs in through the provider and lands on files", async () => {
      await up.goto(base + "/web/admin/login");
      await up.click('[data-testid="oidc-login"]');
      await signInAtIdP(up, env("IDP_USER"), env("IDP_USER_PASSWORD"));
      await up.waitForURL(/\/web\/client\/files/);
      await shot(up, "oidc-user-home");
    });

    check(consoleErrors.length === 0, "no console errors:\n" + consoleErrors.join("\n"));
    console.log("browser test passed");
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  if (consoleErrors.length) console.error("console errors:\n" + consoleErrors.join("\n"));
  process.exit(1);
});

// End-to-end test of the web admin and the web client in headless Chromium.
//
// Driven by internal/e2e/browser_test.go, which starts the server and sets:
//   SFTPGO_URL          base URL of a running server (http://127.0.0.1:PORT)
//   SFTPGO_ADMIN_USER   admin username, SFTPGO_ADMIN_PASSWORD its password
//   SFTPGO_HOME_BASE    directory under which the test user's home is created
//   SFTPGO_WORK_DIR     scratch directory (files to upload, downloads)
//   SFTPGO_SCREENSHOTS  where to write PNG screenshots of the main pages
//   CHROMIUM_PATH       browser executable (default /usr/bin/chromium)
//
// The scenario: sign in as admin, create a user through the form (after a
// validation error that must keep what was typed), sign in to the web client
// as that user, upload files, see them listed, download one and compare its
// SHA-256, create a password-protected share and download through it in a
// fresh browser context. Console errors (including CSP violations) fail the
// run. Exit code 0 means success.
"use strict";

const { chromium } = require("playwright-core");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const base = must("SFTPGO_URL");
const adminUser = must("SFTPGO_ADMIN_USER");
const adminPass = must("SFTPGO_ADMIN_PASSWORD");
const homeBase = must("SFTPGO_HOME_BASE");
const work = must("SFTPGO_WORK_DIR");
const shots = must("SFTPGO_SCREENSHOTS");
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function must(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

function sha256(file) {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function check(cond, msg) {
  if (!cond) {
    throw new Error("check failed: " + msg);
  }
}

// Expected refusals (a form re-rendered with errors is a 400, a wrong
// password a 401) make Chromium log "Failed to load resource"; anything
// else logged as an error (script errors, CSP violations, missing assets,
// server errors) fails the run.
const consoleErrors = [];
const expected = /Failed to load resource: the server responded with a status of 40[01]/;
function watch(page, label) {
  page.on("console", (m) => {
    if (m.type() === "error" && !expected.test(m.text())) consoleErrors.push(`${label}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${label}: ${e.message}`));
}

async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: opts.fullPage !== false });
  console.log("screenshot", name);
}

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  // Playwright gives every launch a fresh temporary user-data dir; the
  // flags keep Chromium from calling out on a closed network.
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const username = "webtester";
  const userPass = "W3b-Tester-pass!";
  const home = path.join(homeBase, username);
  try {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
    const page = await ctx.newPage();
    watch(page, "admin");
    page.setDefaultTimeout(20000);

    await step("admin signs in", async () => {
      await page.goto(base + "/web/admin/login");
      await shot(page, "admin-login", { fullPage: false });
      await page.fill("#username", adminUser);
      await page.fill("#password", adminPass);
      await Promise.all([page.waitForURL(/\/web\/admin\/users/), page.click("button[type=submit]")]);
    });

    await step("admin form keeps input on validation errors", async () => {
      await page.click('[data-testid="add-user"]');
      await page.waitForURL(/\/web\/admin\/user$/);
      await page.fill("#f-username", username);
      await page.fill("#f-password", userPass);
      await page.fill("#f-description", "created by the browser test");
      await page.fill("#f-home_dir", home);
      await page.locator("summary", { hasText: "Quota, sessions and bandwidth" }).click();
      await page.fill("#f-quota_size", "plenty");
      await shot(page, "admin-user-new");
      await page.click('[data-testid="save"]');
      await page.waitForSelector('[data-testid="field-error"]');
      const err = await page.locator(".field.has-error").first().innerText();
      check(/not a valid size/.test(err), "quota error shown next to the field: " + err);
      check((await page.inputValue("#f-description")) === "created by the browser test", "typed description kept");
      check((await page.inputValue("#f-username")) === username, "typed username kept");
      await shot(page, "admin-user-validation");
    });

    await step("admin creates the user", async () => {
      // the password is never echoed back: type it again
      await page.fill("#f-password", userPass);
      await page.fill("#f-quota_size", "1G");
      await Promise.all([page.waitForURL(/\/web\/admin\/users/), page.click('[data-testid="save"]')]);
      const flash = await page.locator('[data-testid="flash"]').innerText();
      check(flash.includes(`User ${username} created`), "creation confirmed: " + flash);
      check(await page.locator(`[data-testid="users-table"] >> text=${username}`).count() > 0, "user listed");
      await shot(page, "admin-users");
    });

    await step("admin pages reachable from the navigation", async () => {
      for (const [label, file] of [["Groups", "admin-groups"], ["Virtual folders", "admin-folders"], ["Connections", "admin-connections"],
        ["Server status", "admin-status"], ["Backup", "admin-maintenance"], ["Admins", "admin-admins"], ["API keys", "admin-apikeys"],
        ["Profile", "admin-profile"]]) {
        await page.locator("nav.nav a", { hasText: label }).click();
        await page.waitForLoadState("load");
        check(!(await page.title()).startsWith("Forbidden"), label + " opens");
        await shot(page, file);
      }
      await page.goto(base + "/web/admin/user/" + username);
      await shot(page, "admin-user-edit");
      await page.$$eval("details", (ds) => ds.forEach((d) => { d.open = true; }));
      await shot(page, "admin-user-edit-expanded");
      for (const [text, file] of [["Groups and virtual folders", "admin-user-section-groups"], ["Access restrictions", "admin-user-section-access"],
        ["Limits", "admin-user-section-limits"], ["Web client and account options", "admin-user-section-options"]]) {
        await page.locator("details.section", { has: page.locator("summary", { hasText: text }) }).screenshot({ path: path.join(shots, file + ".png") });
      }
      await page.goto(base + "/web/admin/group");
      await shot(page, "admin-group-new");
      await page.goto(base + "/web/admin/folder");
      await page.selectOption('select[name="filesystem.provider"]', "1");
      await shot(page, "admin-folder-s3");
    });

    await step("the user form hides the home directory for object storage", async () => {
      await page.goto(base + "/web/admin/user");
      check(await page.isVisible("#f-home_dir"), "home directory shown for local storage");
      await page.selectOption('select[name="filesystem.provider"]', "1");
      check(!(await page.isVisible("#f-home_dir")), "home directory hidden for S3");
      await page.selectOption('select[name="filesystem.provider"]', "4");
      check(await page.isVisible("#f-home_dir"), "home directory shown for encrypted storage");
    });

    await step("the REST API viewer renders the schema", async () => {
      await page.goto(base + "/openapi");
      await page.waitForSelector(".swagger-ui .info .title");
      const title = await page.locator(".swagger-ui .info .title").innerText();
      check(/REST API/.test(title), "viewer shows the API title: " + title);
      check(await page.locator(".opblock-summary-path", { hasText: "/users" }).count() > 0, "viewer lists /users");
      await shot(page, "openapi-viewer");
    });

    const client = await browser.newContext({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
    const cp = await client.newPage();
    watch(cp, "client");
    cp.setDefaultTimeout(20000);
    const big = path.join(work, "payload.bin");
    fs.writeFileSync(big, crypto.randomBytes(6 * 1024 * 1024 + 123));
    const note = path.join(work, "notes.txt");
    fs.writeFileSync(note, "Hello from the browser test.\nSecond line.\n");

    await step("user signs in to the web client", async () => {
      await cp.goto(base + "/web/client/login");
      await shot(cp, "client-login", { fullPage: false });
      await cp.fill("#username", username);
      await cp.fill("#password", userPass);
      await Promise.all([cp.waitForURL(/\/web\/client\/files/), cp.click("button[type=submit]")]);
      await cp.waitForSelector("text=This folder is empty");
    });

    await step("user uploads two files at once and sees them listed", async () => {
      await cp.locator('[data-testid="upload-input"]').setInputFiles([big, note]);
      await cp.waitForSelector('[data-testid="file-table"] >> text=payload.bin', { timeout: 60000 });
      await cp.waitForSelector('[data-testid="file-table"] >> text=notes.txt');
      check(fs.existsSync(path.join(home, "payload.bin")), "file stored in the user's home");
    });

    await step("user creates a folder", async () => {
      await cp.click('[data-testid="mkdir"]');
      await cp.fill("#mk-name", "reports");
      await Promise.all([cp.waitForLoadState("load"), cp.click('#dlg-mkdir button[type=submit]')]);
      await cp.waitForSelector('[data-testid="file-table"] >> text=reports');
      await shot(cp, "client-files");
    });

    await step("user downloads the file byte-identical", async () => {
      const row = cp.locator('tr[data-name="payload.bin"]');
      const [dl] = await Promise.all([cp.waitForEvent("download"), row.locator('[data-testid="download"]').click()]);
      const saved = path.join(work, "downloaded.bin");
      await dl.saveAs(saved);
      check(sha256(saved) === sha256(big), "downloaded file has the uploaded bytes");
    });

    await step("user previews a text file", async () => {
      await cp.click('text=notes.txt');
      await cp.waitForSelector('[data-testid="preview-text"]');
      check((await cp.locator('[data-testid="preview-text"]').innerText()).includes("Hello from the browser test."), "preview text");
      await shot(cp, "client-preview");
      await cp.goBack();
    });

    await step("user selects files and downloads them as a zip", async () => {
      await cp.locator('tr[data-name="notes.txt"] input[type=checkbox]').check();
      await cp.locator('tr[data-name="payload.bin"] input[type=checkbox]').check();
      const [dl] = await Promise.all([cp.waitForEvent("download"), cp.click('[data-testid="zip"]')]);
      const saved = path.join(work, "selection.zip");
      await dl.saveAs(saved);
      const head = fs.readFileSync(saved).subarray(0, 4);
      check(head[0] === 0x50 && head[1] === 0x4b, "zip signature");
      check(fs.statSync(saved).size > 6 * 1024 * 1024, "zip holds the big file");
    });

    let link = "";
    await step("user creates a password-protected share", async () => {
      await cp.goto(base + "/web/client/files");
      await cp.locator('tr[data-name="payload.bin"] [data-testid="share"]').click();
      await cp.waitForSelector('[data-testid="share-form"]');
      await cp.fill("#f-password", "Sh4re-pass!");
      const tomorrow = new Date(Date.now() + 3 * 86400 * 1000).toISOString().slice(0, 10);
      await cp.fill("#f-expires_at", tomorrow);
      await shot(cp, "client-share-new");
      await Promise.all([cp.waitForURL(/\/web\/client\/shares/), cp.click('[data-testid="save-share"]')]);
      link = await cp.locator('[data-testid="share-link"]').first().inputValue();
      check(/\/web\/client\/pubshares\/[A-Za-z0-9_-]{20,}$/.test(link), "share link: " + link);
      await shot(cp, "client-shares");
    });

    await step("anyone with the link and password downloads in a fresh context", async () => {
      const anon = await browser.newContext({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
      const ap = await anon.newPage();
      watch(ap, "share");
      await ap.goto(link);
      await ap.waitForSelector("text=protected by a password");
      await shot(ap, "share-login", { fullPage: false });
      await ap.fill("#password", "Sh4re-pass!");
      await Promise.all([ap.waitForLoadState("load"), ap.click("button[type=submit]")]);
      await ap.waitForSelector('[data-testid="share-file"]');
      await shot(ap, "share-page", { fullPage: false });
      const [dl] = await Promise.all([ap.waitForEvent("download"), ap.click('[data-testid="share-file"]')]);
      const saved = path.join(work, "via-share.bin");
      await dl.saveAs(saved);
      check(sha256(saved) === sha256(big), "file downloaded through the share is byte-identical");
      await anon.close();
    });

    await step("profile, dark theme and a phone-sized screen", async () => {
      await cp.goto(base + "/web/client/profile");
      await shot(cp, "client-profile");
      await cp.goto(base + "/web/client/files");
      await cp.click("[data-theme-toggle]");
      await shot(cp, "client-files-dark");
      await cp.setViewportSize({ width: 390, height: 844 });
      await cp.reload();
      await shot(cp, "client-files-phone", { fullPage: false });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(base + "/web/admin/users");
      await shot(page, "admin-users-phone", { fullPage: false });
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

// Languages and event rules in headless Chromium.
//
// Driven by internal/e2e/browser_i18n_test.go (same environment as
// web.test.js, with httpd.bindings[0].languages = en, de, it). A browser
// whose language is German gets the web admin in German with no English
// left on the users page; the language menu switches to Italian and the
// choice is kept. Then, in English, the admin creates an HTTP event
// action and an upload rule in the web admin pages; a user uploads a file
// in the web client, and the Go side checks that the rule's request
// reached its endpoint (SFTPGO_HOOK_URL). Exit code 0 means success.
"use strict";

const fs = require("fs");
const path = require("path");
const { must, check, step, watch, consoleErrors, shot, launch, signIn: signInAt, run } = require("./lib");

const base = must("SFTPGO_URL");
const adminUser = must("SFTPGO_ADMIN_USER");
const adminPass = must("SFTPGO_ADMIN_PASSWORD");
const homeBase = must("SFTPGO_HOME_BASE");
const hookURL = must("SFTPGO_HOOK_URL");
const workDir = must("SFTPGO_WORK_DIR");

const signIn = (page, side, user, pass, landing) => signInAt(page, base, side, user, pass, landing);

// visibleTexts returns the text of every visible text node and the
// placeholder, title and aria-label attributes, outside translate="no".
async function visibleTexts(page) {
  return page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[translate="no"], script, style, code, pre, textarea')) continue;
      const t = n.textContent.replace(/\s+/g, " ").trim();
      if (t && el.offsetParent !== null) out.push(t);
    }
    for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
      if (el.closest('[translate="no"]')) continue;
      for (const a of ["placeholder", "title", "aria-label"]) {
        const v = el.getAttribute(a);
        if (v) out.push(v.trim());
      }
    }
    return out;
  });
}

async function main() {
  const browser = await launch();
  try {
    // ---- German from the browser's language, no English left
    const de = await browser.newContext({ locale: "de-DE", extraHTTPHeaders: { "Accept-Language": "de-DE,de;q=0.9" } });
    const dp = await de.newPage();
    watch(dp, "de");
    await step("a German browser gets the sign-in page in German", async () => {
      await dp.goto(base + "/web/admin/login");
      check((await dp.getAttribute("html", "lang")) === "de", "html lang is de");
      const texts = await visibleTexts(dp);
      check(texts.includes("Anmelden") || texts.some((t) => /Anmelden/.test(t)), "sign-in button in German: " + texts.join(" | "));
      await shot(dp, "i18n-login-de");
    });
    await step("the users page has no English left", async () => {
      await signIn(dp, "admin", adminUser, adminPass, /\/web\/admin\/users/);
      const texts = await visibleTexts(dp);
      const english = ["Users", "Groups", "Virtual folders", "Connections", "Server status", "Sign out", "Add user",
        "Search", "Theme", "Profile", "Two-factor", "No users yet.", "Event rules", "Event actions", "Admins"];
      const left = texts.filter((t) => english.includes(t));
      check(left.length === 0, "English left on the German users page: " + left.join(", "));
      check(texts.includes("Benutzer"), "the navigation says Benutzer: " + texts.slice(0, 30).join(" | "));
      await shot(dp, "i18n-users-de");
    });
    await step("the language menu switches to Italian and keeps it", async () => {
      await Promise.all([dp.waitForLoadState("load"), dp.click('[data-testid="lang-menu"] a[hreflang="it"]')]);
      check((await dp.getAttribute("html", "lang")) === "it", "html lang is it after the menu");
      await dp.goto(base + "/web/admin/groups");
      check((await dp.getAttribute("html", "lang")) === "it", "Italian kept on the next page");
      const texts = await visibleTexts(dp);
      check(texts.includes("Gruppi"), "the navigation says Gruppi: " + texts.slice(0, 30).join(" | "));
      await shot(dp, "i18n-groups-it");
    });
    await de.close();

    // ---- an event rule created in the pages fires on upload
    const en = await browser.newContext({ locale: "en-US" });
    const ap = await en.newPage();
    watch(ap, "admin");
    await signIn(ap, "admin", adminUser, adminPass, /\/web\/admin\/users/);
    await step("admin adds an HTTP action in the event action page", async () => {
      await ap.goto(base + "/web/admin/eventaction?type=1");
      await ap.fill("#f-name", "notify-partner");
      await ap.selectOption("#f-type", "1");
      await ap.fill("#f-options", JSON.stringify({
        http_config: { endpoint: hookURL, method: "POST", timeout: 10, body: '{"path": "{{.VirtualPath}}", "user": "{{.Username}}"}',
          headers: [{ key: "Content-Type", value: "application/json" }] },
      }, null, 2));
      await Promise.all([ap.waitForURL(/\/web\/admin\/eventactions/), ap.click('[data-testid="save"]')]);
      check((await ap.locator('[data-testid="flash"]').innerText()).includes("notify-partner"), "action created");
      await shot(ap, "eventactions");
    });
    await step("admin adds an upload rule using it", async () => {
      await ap.goto(base + "/web/admin/eventrule");
      await ap.fill("#f-name", "on-upload");
      await ap.selectOption("#f-trigger", "1");
      const status = ap.locator('input[name="status"]');
      if (!(await status.isChecked())) await status.check();
      await ap.fill("#f-conditions", JSON.stringify({ fs_events: ["upload"], options: { fs_paths: [{ pattern: "/*.csv" }] } }));
      await ap.check('input[name="action.notify-partner"]');
      await shot(ap, "eventrule-new");
      await Promise.all([ap.waitForURL(/\/web\/admin\/eventrules/), ap.click('[data-testid="save"]')]);
      check((await ap.locator('[data-testid="flash"]').innerText()).includes("on-upload"), "rule created");
      await shot(ap, "eventrules");
    });
    await step("admin adds a user", async () => {
      await ap.goto(base + "/web/admin/user");
      await ap.fill("#f-username", "eventuser");
      await ap.fill("#f-password", "Event-user-pass!");
      await ap.fill("#f-home_dir", path.join(homeBase, "eventuser"));
      await Promise.all([ap.waitForURL(/\/web\/admin\/users/), ap.click('[data-testid="save"]')]);
    });
    const up = await en.newPage();
    watch(up, "user");
    await step("the user uploads a CSV in the web client", async () => {
      await signIn(up, "client", "eventuser", "Event-user-pass!", /\/web\/client\/files/);
      const file = path.join(workDir, "report.csv");
      fs.writeFileSync(file, "a,b\n1,2\n");
      await Promise.all([up.waitForEvent("load"), up.locator('[data-testid="upload-input"]').setInputFiles([file])]);
      await up.waitForSelector("text=report.csv");
    });
    check(consoleErrors.length === 0, "console errors: " + consoleErrors.join("; "));
  } finally {
    await browser.close();
  }
}

run(main);

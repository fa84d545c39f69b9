// Browser test of "Forgot password?" on the web client and web admin login
// pages, driven by internal/e2e/smtp_test.go, which starts the server with
// an smtp section pointing at a test SMTP server and sets:
//   SFTPGO_URL          base URL of the server
//   SFTPGO_CODES_URL    loopback URL answering GET /code?n=N&to=ADDR with
//                       the reset code of the N-th mail received
//   SFTPGO_SCREENSHOTS  where to write PNG screenshots
//   CHROMIUM_PATH       browser executable (default /usr/bin/chromium)
// For each UI: sign-in page -> "Forgot password?" -> username -> the code
// from the mail -> new password -> sign in with it. Exit code 0 is success.
"use strict";

const fs = require("fs");
const path = require("path");
const { must, check, launch, run } = require("./lib");

const base = must("SFTPGO_URL");
const codesURL = must("SFTPGO_CODES_URL");
const shots = must("SFTPGO_SCREENSHOTS");

const consoleErrors = [];
// The wrong-code attempt re-renders the form with a 400.
const expected = /Failed to load resource: the server responded with a status of 400/;

async function mailCode(n, to) {
  const resp = await fetch(`${codesURL}/code?n=${n}&to=${encodeURIComponent(to)}`);
  const text = await resp.text();
  check(resp.ok && /^[A-Z2-7-]{23}$/.test(text), `code of mail ${n}: ${resp.status} ${text}`);
  return text;
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await launch();
  const cases = [
    { ui: "client", user: "grace", mail: "grace@example.com", pass: "N3w-grace-pass!", home: /\/web\/client\/files/ },
    { ui: "admin", user: "admin", mail: "root@example.com", pass: "N3w-admin-pass!", home: /\/web\/admin\/users/ },
  ];
  try {
    let n = 0;
    for (const c of cases) {
      n++;
      const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      const page = await ctx.newPage();
      page.setDefaultTimeout(20000);
      page.on("console", (m) => {
        if (m.type() === "error" && !expected.test(m.text())) consoleErrors.push(`${c.ui}: ${m.text()}`);
      });
      page.on("pageerror", (e) => consoleErrors.push(`${c.ui}: ${e.message}`));

      await page.goto(`${base}/web/${c.ui}/login`);
      await Promise.all([page.waitForURL(new RegExp(`/web/${c.ui}/forgot-password`)), page.click('[data-testid="forgot-link"]')]);
      await page.screenshot({ path: path.join(shots, `${c.ui}-forgot-password.png`) });
      await page.fill("#f-username", c.user);
      await Promise.all([page.waitForURL(new RegExp(`/web/${c.ui}/reset-password`)), page.click("button[type=submit]")]);
      const flash = await page.locator('[data-testid="flash"]').innerText();
      check(flash.includes("a code is on its way"), "sent message: " + flash);
      check((await page.inputValue("#f-username")) === c.user, "username carried to the reset form");
      const code = await mailCode(n, c.mail);

      // a wrong code is refused next to the field
      await page.fill("#f-code", "AAAAA-AAAAA-AAAAA-AAAAA");
      await page.fill("#f-password", c.pass);
      await page.fill("#f-confirm_password", c.pass);
      await page.click("button[type=submit]");
      await page.waitForSelector('[data-testid="field-error"]');
      check((await page.locator(".field.has-error").first().innerText()).includes("invalid, expired or already used"), "wrong code named");
      await page.screenshot({ path: path.join(shots, `${c.ui}-reset-password-error.png`) });

      await page.fill("#f-code", code);
      await page.fill("#f-password", c.pass);
      await page.fill("#f-confirm_password", c.pass);
      await Promise.all([page.waitForURL(new RegExp(`/web/${c.ui}/login`)), page.click("button[type=submit]")]);
      check((await page.locator('[data-testid="flash"]').innerText()).includes("Password reset"), "reset confirmed");
      await page.fill("#username", c.user);
      await page.fill("#password", c.pass);
      await Promise.all([page.waitForURL(c.home), page.click("button[type=submit]")]);
      console.log(`ok  ${c.ui}: password reset by e-mail and signed in with the new one`);
      await ctx.close();
    }
    check(consoleErrors.length === 0, "console errors:\n" + consoleErrors.join("\n"));
  } finally {
    await browser.close();
  }
}

run(main);

// Logs in to warrant's console through a real OpenID provider's login
// form, in headless Chromium (playwright-core, the system browser).
//
//   node oidc-login.mjs '{"chromium", "base", "login"}'
//
// Prints `WHO <name>` (the operator the console shows; it then halts and
// resumes the host, `ACTED`) or `REFUSED <text>`, then `DONE`; any failure prints `FAIL <why>` and exits 1.

import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});
try {
  const page = await (await browser.newContext()).newPage();
  globalThis.currentPage = page;
  if (process.env.WARRANT_TRACE) {
    page.on('requestfailed', (r) => process.stderr.write(`failed ${r.url()} ${r.failure().errorText}\n`));
    page.on('response', (r) => process.stderr.write(`${r.status()} ${r.request().method()} ${r.url()}\n`));
  }
  await page.goto(`${cfg.base}/console`);
  await page.click('#oidc-login');
  // The provider's development login form, then its consent screen.
  await page.fill('input[name=login]', cfg.login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/interaction') || u.pathname.endsWith('/login') === false, { timeout: 10000 }).catch(() => {});
  for (let i = 0; i < 3 && new URL(page.url()).pathname.startsWith('/interaction'); i += 1) {
    await page.click('button[type=submit]');
    await page.waitForLoadState();
  }
  await page.waitForURL((u) => u.pathname.startsWith('/console'), { timeout: 15000 });
  if (await page.locator('.who').count() === 0) {
    await page.waitForSelector('.who, p.message', { timeout: 10000 });
  }
  if (await page.locator('.who').count() > 0) {
    process.stdout.write(`WHO ${await page.textContent('.who')}\n`);
    // One action in this session: halt, then resume.
    page.on('dialog', (d) => d.accept());
    await page.fill('#status form.stop input[name=reason]', 'oidc drill');
    await page.click('#status form.stop button');
    await page.waitForSelector('#host-state.danger');
    await page.fill('#status form.stop input[name=reason]', 'oidc drill over');
    await page.click('#status form.stop button');
    await page.waitForSelector('#host-state.ok');
    process.stdout.write('ACTED\n');
  } else {
    process.stdout.write(`REFUSED ${(await page.textContent('p.message')).replace(/\n/g, ' ')}\n`);
  }
  process.stdout.write('DONE\n');
} catch (e) {
  let where = '';
  try {
    const p = globalThis.currentPage;
    where = ` | at ${p.url()}: ${(await p.content()).slice(0, 1500)}`;
  } catch (_) { /* no page */ }
  process.stdout.write(`FAIL ${String(e && e.stack || e).replace(/\n/g, ' | ')}${where.replace(/\n/g, ' ')}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

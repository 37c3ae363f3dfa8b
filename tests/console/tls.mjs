// The console over TLS in a real, headless Chromium (Debian's) with
// playwright-core, for `tests/tests/all/findings/http2.rs`: the browser
// negotiates HTTP/2 by ALPN (as browsers do), logs in with the link, halts
// and resumes, and logs out — each a state-changing POST under the Secure
// session cookie.
//
//   node tls.mjs CONFIG_JSON      CONFIG: {"chromium", "link", "base"}
//
// Prints `PROTOCOL <nextHopProtocol>` and `DONE`, or `FAIL <why>`.

import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const expect = (ok, why) => { if (!ok) throw new Error(why); };
const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run', '--disable-quic'],
});
let page;
try {
  // The test's CA is not the system's: accept its certificate.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(cfg.link);
  await page.click('#link-login button');
  await page.waitForURL(`${cfg.base}/console`);
  expect((await page.textContent('.who')) === 'carol', 'not logged in as carol');
  const protocol = await page.evaluate(
    () => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  process.stdout.write(`PROTOCOL ${protocol}\n`);
  const cookies = await context.cookies();
  expect(cookies.some((c) => c.secure && c.httpOnly), 'the session cookie is not Secure');
  await page.fill('#status form.stop input[name=reason]', 'drill over TLS');
  await page.click('#status form.stop button');
  await page.waitForSelector('#host-state.danger');
  await page.fill('#status form.stop input[name=reason]', 'all clear');
  await page.click('#status form.stop button');
  await page.waitForSelector('#host-state.ok');
  await page.click('#logout');
  await page.waitForSelector('text=logged out');
  process.stdout.write('DONE\n');
} catch (e) {
  let where = '';
  try { where = ` at ${page.url()}: ${(await page.textContent('body')).slice(0, 300)}`; } catch {}
  process.stdout.write(`FAIL ${String(e.message || e).split('\n')[0]}${where.replace(/\s+/g, ' ')}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

// Drives warrant's console in a real, headless Chromium (Debian's, never a
// downloaded one) with playwright-core, for `tests/tests/all/console/browser.rs`.
//
//   node browser.mjs CONFIG_JSON
//
// CONFIG: {"chromium", "link", "base", "task", "shots"}. The test and this
// script take turns: the script prints `STEP <name> [detail]` and waits for
// a line on stdin before it goes on (the test makes agent calls meanwhile).
// Any failure prints `FAIL <why>` and exits 1.

import readline from 'node:readline';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const lines = readline.createInterface({ input: process.stdin });
const inbox = lines[Symbol.asyncIterator]();
const step = async (name, detail = '') => {
  process.stdout.write(`STEP ${name} ${detail}\n`);
  const next = await inbox.next();
  if (next.done || !next.value.startsWith('GO')) throw new Error(`the test said ${next.value}`);
};
const expect = (ok, why) => { if (!ok) throw new Error(why); };

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  globalThis.currentPage = page;
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('dialog', (d) => d.accept());

  // Log in with the one-time link: the script moves the grant into the form.
  await page.goto(cfg.link);
  expect(await page.inputValue('#grant') !== '', 'the login form did not get the grant');
  expect(!page.url().includes('#grant'), 'the grant stayed in the address bar');
  await page.click('#link-login button');
  await page.waitForURL(`${cfg.base}/console`);
  expect((await page.textContent('.who')) === 'carol', 'not logged in as carol');
  await page.waitForSelector('body[data-live-connected="1"]');
  await page.evaluate(() => { window.__sameDocument = true; });
  await step('ready');

  // The held call appears without a reload.
  const pending = 'article.pending[data-approval]';
  await page.waitForSelector(pending, { timeout: 30000 });
  expect(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
  const id = await page.getAttribute(pending, 'data-approval');
  const card = page.locator(`#approval-${id}`);
  expect((await card.textContent()).includes('Blocked 203.0.113.45'), 'the arguments are not shown');
  await page.screenshot({ path: `${cfg.shots}/console-inbox.png`, fullPage: true });
  await card.locator('input[name=reason]').fill('containment confirmed');
  await card.locator('button.approve').click();
  await page.waitForSelector('.flash');
  expect((await page.textContent('.flash')).includes(`approved ${id}`), 'no confirmation');
  await step('approved', id);

  // The outcome shows on the row once the call ran.
  await page.waitForFunction((i) => {
    const el = document.querySelector(`#approval-${i} .outcome`);
    return el && el.textContent.startsWith('ok');
  }, id, { timeout: 30000 });

  // Deny the next one.
  await step('deny-next');
  await page.waitForSelector(pending, { timeout: 30000 });
  const id2 = await page.getAttribute(pending, 'data-approval');
  const card2 = page.locator(`#approval-${id2}`);
  await card2.locator('input[name=reason]').fill('not during the freeze');
  await card2.locator('button.deny').click();
  await page.waitForSelector('.flash');
  expect((await page.textContent('.flash')).includes(`denied ${id2}`), 'not denied');
  await step('denied', id2);

  // The task's timeline: the approval with carol's name, integrity verified.
  await page.fill('input[name=task]', cfg.task);
  await page.click('form.inline button[type=submit]');
  await page.waitForSelector('#timeline');
  const integrity = await page.textContent('#integrity');
  expect(integrity.startsWith('Chain verified'), `integrity: ${integrity}`);
  const approved = page.locator('li[data-kind="approval.approved"]');
  expect((await approved.textContent()).includes('carol'), 'the approval does not name carol');
  expect((await approved.locator('.proof.ok').textContent()).includes('signed by carol'), 'not signed by carol');
  expect(await page.locator('li[data-kind="approval.denied"]').count() === 1, 'no denial in the timeline');
  await page.screenshot({ path: `${cfg.shots}/console-timeline.png`, fullPage: true });

  // Halt: confirmed (the dialog), with a reason; every open console sees it.
  await page.fill('#status form.stop input[name=reason]', 'suspected prompt injection');
  await page.click('#status form.stop button');
  await page.waitForSelector('#host-state.danger');
  await step('halted');

  // Resume, then log out; the old session can act on nothing.
  await page.fill('#status form.stop input[name=reason]', 'all clear');
  await page.click('#status form.stop button');
  await page.waitForSelector('#host-state.ok');
  expect(errors.length === 0, `console errors: ${errors.join('; ')}`);
  const csrf = await page.inputValue('#status input[name=csrf]');
  const cookies = await context.cookies();
  await page.click('#logout');
  await page.waitForSelector('text=logged out');
  const post = (c) => page.evaluate(async (token) => {
    const body = new URLSearchParams({ csrf: token, reason: 'after logout' });
    const r = await fetch('/console/actions/halt', { method: 'POST', body });
    return r.status;
  }, c);
  const without = await post(csrf);
  await context.addCookies(cookies);
  const withOld = await post(csrf);
  await step('logged-out', `${without} ${withOld}`);
  process.stdout.write('DONE\n');
} catch (e) {
  let where = '';
  try {
    const p = globalThis.currentPage;
    where = ` | at ${p.url()}: ${(await p.textContent('body')).slice(0, 600)}`;
  } catch (_) { /* no page */ }
  process.stdout.write(`FAIL ${String(e && e.stack || e).replace(/\n/g, ' | ')}${where.replace(/\n/g, ' ')}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}

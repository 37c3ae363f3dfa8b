// The console's overview in a real, headless Chromium (Debian's) with
// playwright-core, for `tests/tests/all/console/overview.rs`.
//
//   node overview.mjs CONFIG_JSON
//
// CONFIG: {"chromium", "link", "base", "shots", "layer"}. Logs in with the
// link, opens /console/overview, reads what its charts say from the DOM
// (aria labels, texts, data attributes), saves a screenshot, clicks the
// bar of refusals by `layer` and reads the calls listed, then opens the
// first one's task; then the day's view. Prints `RESULT <json>`, or `FAIL <why>` and exits 1.

import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(cfg.link);
  await page.click('#link-login button');
  await page.waitForURL(`${cfg.base}/console`);

  // From the bar's navigation, as an operator would.
  await page.click('header.bar nav a[href="/console/overview"]');
  await page.waitForSelector('svg#calls-per-bin');
  const rows = (sel) => page.$$eval(sel, (els) => els.map((a) => ({
    key: a.getAttribute('data-key'),
    label: a.getAttribute('aria-label'),
    value: (a.querySelector('text.value') || {}).textContent,
    href: a.getAttribute('href'),
  })));
  const seen = {
    total: await page.textContent('#calls-total'),
    legend: await page.$$eval('ul.legend a', (els) => Object.fromEntries(
      els.map((a) => [a.getAttribute('data-decision'), a.querySelector('strong').textContent]))),
    columns: await page.$$eval('svg#calls-per-bin a.col', (els) => els.map((a) => Number(a.getAttribute('data-total')))),
    chartTitles: await page.$$eval('svg.chart', (els) => els.map((s) => s.querySelector('title').textContent)),
    refused: await rows('#refused-by-layer .row'),
    agents: await rows('#busiest-agents .row'),
    tools: await rows('#busiest-tools .row'),
    stops: await rows('#stop-buttons .row'),
    approvals: await rows('#approvals-waiting .row'),
    waiting: await page.textContent('#waiting-count'),
    painted: await page.$$eval('svg#refused-by-layer rect.refused', (els) => els.map((r) => getComputedStyle(r).fill)),
  };
  await page.screenshot({ path: `${cfg.shots}/console-overview.png`, fullPage: true });

  // The bar of one layer's refusals leads to exactly those calls.
  await page.click(`#refused-by-layer a.row[data-key="layer:${cfg.layer}"]`);
  await page.waitForSelector('table#calls');
  seen.listUrl = page.url();
  seen.count = await page.textContent('#calls-count');
  seen.listed = await page.$$eval('table#calls tr.call', (trs) => trs.map((tr) => ({
    decision: tr.getAttribute('data-decision'),
    layer: tr.getAttribute('data-layer'),
    agent: tr.querySelector('td.agent').textContent,
    tool: tr.querySelector('td.tool').textContent,
    task: (tr.querySelector('a.task') || {}).textContent,
  })));
  // And each call to its task's timeline.
  await page.click('table#calls tr.call a.task');
  await page.waitForSelector('#timeline');
  seen.timeline = await page.textContent('#task');

  // The last 24 hours: the same calls, in bars of 15 minutes.
  await page.goto(`${cfg.base}/console/overview`);
  await page.click('nav.windows a[href="/console/overview?window=day"]');
  await page.waitForSelector('svg#calls-per-bin');
  seen.dayTotal = await page.textContent('#calls-total');
  seen.dayColumns = await page.$$eval('svg#calls-per-bin a.col', (els) => els.length);
  await page.screenshot({ path: `${cfg.shots}/console-overview-day.png`, fullPage: true });
  seen.errors = errors;
  process.stdout.write(`RESULT ${JSON.stringify(seen)}\n`);
} catch (e) {
  let where = '';
  try {
    where = ` | at ${page.url()}: ${(await page.textContent('body')).slice(0, 600)}`;
  } catch (_) { /* no page */ }
  process.stdout.write(`FAIL ${String(e && e.stack || e).replace(/\n/g, ' | ')}${where.replace(/\n/g, ' ')}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

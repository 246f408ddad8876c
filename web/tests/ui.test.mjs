// Browser tests of the UI: Debian's Chromium driven by playwright-core against a real server
// (see stack.mjs: VIGIL_UI_URL, else `vigil server`, else Prometheus 2.42 + the built UI) with a
// simulated fleet. Each page is loaded at 1440×900 and checked for what a person would look
// for: graphs with drawn series, the fleet's targets, TSDB numbers, dashboards whose panels all
// have data. Screenshots go to a temp dir, and to docs/img/ with VIGIL_UPDATE_SCREENSHOTS=1.
//
//   node --test tests/          (from web/, after npm run build)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { FLEET_TARGETS, repoDir, startStack } from './stack.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const DASHBOARDS = ['application', 'network', 'os'];
const MAX_DASHBOARD_MS = Number(process.env.VIGIL_UI_MAX_DASHBOARD_MS || 90000);
const RANGE = process.env.VIGIL_UI_RANGE || '5m';
const shotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-shots-'));
const updateShots = process.env.VIGIL_UPDATE_SCREENSHOTS === '1';

let stack;
let browser;
let context;

async function shot(page, name) {
  const file = path.join(shotDir, `${name}.png`);
  await page.screenshot({ path: file });
  if (updateShots) {
    const dir = path.join(repoDir, 'docs', 'img');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(file, path.join(dir, `${name}.png`));
  }
}

async function newPage() {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.jsErrors = errors;
  // Queries over 100k series on a shared 2-core machine can take a while.
  page.setDefaultTimeout(120000);
  return page;
}

/** Coloured (series) pixels drawn on the canvases under `selector`. Axes and grid are grey. */
async function seriesPixels(page, selector) {
  return page.$$eval(`${selector} canvas`, (canvases) => canvases.map((c) => {
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
      if (a > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 50) n++;
    }
    return n;
  }));
}

before(async () => {
  stack = await startStack({ log: (m) => console.log(`# ${m}`) });
  console.log(`# server under test: ${stack.kind} at ${stack.url}; screenshots in ${shotDir}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // launch() gives every browser a fresh, empty profile directory of its own.
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: stack.url, colorScheme: 'dark' });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('explore', () => {
  test('first paint is under a second', async () => {
    // Warm the browser process up, then load the page in a fresh context (empty cache).
    const warm = await newPage();
    await warm.goto('/explore', { waitUntil: 'load' });
    await warm.close();
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: stack.url, colorScheme: 'dark' });
    const page = await fresh.newPage();
    await page.goto('/explore', { waitUntil: 'load' });
    const fcp = await page.evaluate(() => new Promise((resolve) => {
      const e = performance.getEntriesByName('first-contentful-paint')[0];
      if (e) return resolve(e.startTime);
      new PerformanceObserver((l) => resolve(l.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
    }));
    console.log(`# first contentful paint: ${Math.round(fcp)} ms`);
    assert.ok(fcp < 1000, `first contentful paint ${fcp} ms`);
    await fresh.close();
  });

  test('a range query draws its series and the URL restores it', async () => {
    const page = await newPage();
    await page.goto(`/explore?range=${RANGE}`);
    const input = page.locator('.promql-input textarea');
    const expr = 'sum by (service) (rate(http_server_requests_seconds_count[1m]))';
    await input.fill(expr);
    await input.press('Escape');
    await input.press('Enter');
    await page.waitForSelector('[data-testid=explore-chart] canvas');
    await page.waitForFunction(() => /series/.test(document.querySelector('[data-testid=query-stats]')?.textContent ?? ''));
    const stats = await page.textContent('[data-testid=query-stats]');
    const n = Number(/^(\d+) series/.exec(stats)?.[1]);
    assert.ok(n >= 20, `expected a series per service, got "${stats}"`);
    const px = await seriesPixels(page, '[data-testid=explore-chart]');
    assert.ok(px[0] > 500, `series pixels drawn: ${px}`);
    const legend = await page.locator('.legend-item').count();
    assert.equal(legend, n);
    assert.match(page.url(), /expr=sum\+by|expr=sum%20by/);
    await shot(page, 'explore');
    // Reload from the URL: the same query, range and tab come back.
    const url = page.url();
    const again = await newPage();
    await again.goto(url);
    assert.equal(await again.locator('.promql-input textarea').inputValue(), expr);
    await again.waitForSelector('[data-testid=explore-chart] canvas');
    assert.ok((await seriesPixels(again, '[data-testid=explore-chart]'))[0] > 500);
    assert.deepEqual(page.jsErrors.concat(again.jsErrors), []);
    await page.close();
    await again.close();
  });

  test('table tab, stacked toggle and range are in the URL', async () => {
    const page = await newPage();
    await page.goto(`/explore?expr=${encodeURIComponent('up{job="fleet"}')}&tab=table&range=15m`);
    await page.waitForSelector('[data-testid=result-table] tbody tr');
    assert.equal(await page.locator('[data-testid=result-table] tbody tr').count(), FLEET_TARGETS);
    await page.goto(`/explore?expr=${encodeURIComponent('sum by (dc) (rate(istio_requests_total[1m]))')}&range=5m&stacked=1`);
    await page.waitForSelector('[data-testid=explore-chart] canvas');
    assert.equal(await page.locator('select[aria-label="Graph style"]').inputValue(), '1');
    assert.equal(await page.locator('select[aria-label="Time range"]').inputValue(), '5m');
    const px = await seriesPixels(page, '[data-testid=explore-chart]');
    assert.ok(px[0] > 100, `stacked series pixels: ${px}`);
    await page.close();
  });

  test('Prometheus /graph links open in Explore', async () => {
    const page = await newPage();
    await page.goto(`/graph?g0.expr=${encodeURIComponent('count(up)')}&g0.tab=1&g0.range_input=1h`);
    await page.waitForSelector('[data-testid=result-table] tbody tr');
    assert.equal(await page.locator('.promql-input textarea').inputValue(), 'count(up)');
    await page.close();
  });

  test('API errors are shown verbatim', async () => {
    const page = await newPage();
    await page.goto(`/explore?expr=${encodeURIComponent('sum(rate(up[5m])')}`);
    const box = page.locator('.error-box');
    await box.waitFor();
    const text = await box.textContent();
    assert.match(text, /^bad_data: /);
    assert.match(text, /unclosed left parenthesis|unexpected/);
    await page.close();
  });

  test('autocompletion offers metrics, labels and values', async () => {
    const page = await newPage();
    await page.goto('/explore');
    const input = page.locator('.promql-input textarea');
    await input.focus();
    await input.pressSequentially('http_server_req');
    await page.waitForSelector('.ac-list li');
    const items = await page.locator('.ac-list .ac-text').allTextContents();
    assert.ok(items.includes('http_server_requests_seconds_count'), items.join(','));
    await input.fill('');
    await input.pressSequentially('istio_requests_total{response_fl');
    await page.waitForFunction(() => [...document.querySelectorAll('.ac-list .ac-text')].some((e) => e.textContent === 'response_flags'));
    await input.press('Tab');
    await input.pressSequentially('="');
    await page.waitForFunction(() => [...document.querySelectorAll('.ac-list .ac-text')].some((e) => e.textContent === 'UH'));
    await input.fill('');
    await input.pressSequentially('histogram_qu');
    await page.waitForFunction(() => [...document.querySelectorAll('.ac-list .ac-text')].some((e) => e.textContent === 'histogram_quantile'));
    await input.press('Tab');
    assert.equal(await input.inputValue(), 'histogram_quantile(');
    await page.close();
  });
});

test('targets lists the fleet with health and relabeling', async () => {
  const page = await newPage();
  await page.goto('/targets');
  await page.waitForSelector('[data-testid=target-row]');
  const fleetRows = page.locator('details[data-pool=fleet] [data-testid=target-row]');
  assert.equal(await fleetRows.count(), FLEET_TARGETS);
  assert.equal(await page.locator('details[data-pool=fleet] .badge.up').count(), FLEET_TARGETS + 1);
  const summary = await page.textContent('[data-testid=targets-summary]');
  assert.match(summary, /up/);
  // The unreachable target is down with its error.
  await page.selectOption('select[aria-label=Health]', 'down');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=target-row]').length === 1);
  assert.match(page.url(), /health=down/);
  await page.waitForFunction(() => (document.querySelector('.error-text')?.textContent ?? '') !== '', null, { timeout: 15000 })
    .catch(() => {});
  await page.selectOption('select[aria-label=Health]', 'all');
  // Discovered labels (before relabeling) next to the target labels.
  await page.locator('details[data-pool=node] [data-testid=target-row] button.link').first().click();
  const relabel = page.locator('tr.relabel');
  await relabel.waitFor();
  const text = await relabel.textContent();
  assert.match(text, /__address__/);
  assert.match(text, /host=localhost/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'targets');
  await page.close();
});

test('tsdb status shows head stats and cardinality', async () => {
  const page = await newPage();
  await page.goto('/tsdb');
  await page.waitForSelector('[data-testid=head-series]');
  const series = Number((await page.textContent('[data-testid=head-series] .stat-value')).replace(/[^0-9]/g, ''));
  assert.ok(series >= FLEET_TARGETS * 2000, `head series ${series}`);
  const tables = await page.locator('.tsdb-grid .card').count();
  assert.equal(tables, 4);
  const top = await page.locator('.tsdb-grid .card').first().locator('tbody tr').count();
  assert.ok(top >= 5);
  const mem = await page.textContent('[data-testid=memory-by-structure]');
  // "n/a" exactly when the server does not export vigil_head_memory_bytes (Prometheus).
  const exported = /^vigil_head_memory_bytes\{/m.test(await (await fetch(`${stack.url}/metrics`)).text());
  if (exported) assert.doesNotMatch(mem, /n\/a/);
  else assert.match(mem, /n\/a/);
  await shot(page, 'tsdb');
  await page.close();
});

for (const uid of DASHBOARDS) {
  test(`dashboard ${uid}: every panel draws data`, async () => {
    const page = await newPage();
    const t0 = Date.now();
    await page.goto(`/d/${uid}?refresh=off&range=${RANGE}`);
    await page.waitForSelector('.dashboard[data-loaded]');
    const ms = Date.now() - t0;
    const panels = await page.$$eval('.panel', (els) => els.map((e) => ({
      title: e.dataset.title, state: e.dataset.state, allowEmpty: e.dataset.allowEmpty === 'true',
      message: e.querySelector('.panel-message')?.textContent ?? '',
    })));
    console.log(`# ${uid}: ${panels.length} panels fully drawn in ${ms} ms`);
    assert.ok(panels.length >= 12, `${panels.length} panels`);
    const bad = panels.filter((p) => p.state === 'error' || p.state === 'loading' || (p.state === 'nodata' && !p.allowEmpty));
    assert.deepEqual(bad, []);
    const graphs = await page.$$eval('.panel-graph[data-state=ok]', (els) => els.map((e) => e.dataset.title));
    const px = await seriesPixels(page, '.panel-graph[data-state=ok]');
    assert.equal(px.length, graphs.length);
    px.forEach((n, i) => assert.ok(n > 20, `graph "${graphs[i]}" draws ${n} series pixels`));
    assert.ok(ms < MAX_DASHBOARD_MS, `dashboard drawn in ${ms} ms`);
    assert.deepEqual(page.jsErrors, []);
    await shot(page, `dashboard-${uid}`);
    await page.close();
  });
}

test('dashboard variables filter every panel and live in the URL', async () => {
  const page = await newPage();
  await page.goto(`/d/application?refresh=off&range=${RANGE}`);
  await page.waitForSelector('.dashboard[data-loaded]');
  await page.waitForSelector('select[data-variable=service] option[value=checkout]', { state: 'attached' });
  const before = await page.getAttribute('.dashboard', 'data-loaded');
  await page.selectOption('select[data-variable=service]', 'checkout');
  await page.waitForFunction((b) => document.querySelector('.dashboard')?.dataset.loaded !== b, before);
  assert.match(page.url(), /service=checkout/);
  const legends = await page.locator('.panel[data-title="Request rate by service"] .legend-label').allTextContents();
  assert.deepEqual(legends, ['checkout']);
  await page.reload();
  await page.waitForSelector('.dashboard[data-loaded]');
  assert.equal(await page.locator('select[data-variable=service]').inputValue(), 'checkout');
  // The definition is data: the JSON dialog shows it for copying and editing.
  await page.getByRole('button', { name: 'JSON' }).click();
  const json = JSON.parse(await page.locator('dialog .json-edit').inputValue());
  assert.equal(json.uid, 'application');
  assert.ok(json.panels.length >= 12);
  await page.getByRole('button', { name: 'Close' }).click();
  // Response flag meanings are shown with the flags.
  await page.goto(`/d/network?refresh=off&range=${RANGE}`);
  await page.waitForSelector('.dashboard[data-loaded]');
  const flagsPanel = page.locator('.panel[data-title^="Envoy response flags"]');
  const series = await flagsPanel.locator('.legend-label').count();
  const help = await flagsPanel.locator('.legend-help').allTextContents();
  assert.ok(series > 0);
  assert.equal(help.length, series, help.join(' | '));
  assert.ok(help.every((t) => /\((\d{3})\)$|closed the connection/.test(t)), help.join(' | '));
  const rows = await page.locator('.panel[data-title^="Response flags in"] tbody tr').count();
  const meanings = await page.locator('.panel[data-title^="Response flags in"] .help-cell').allTextContents();
  assert.ok(rows > 0);
  assert.equal(meanings.filter((t) => t.length > 0).length, rows, meanings.join(' | '));
  await page.close();
});

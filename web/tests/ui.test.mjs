// Browser tests of the UI: Debian's Chromium driven by playwright-core against a real server
// (see stack.mjs: VIGIL_UI_URL, else `vigil server` + `vigil fleet` + node_exporter). Each page
// is loaded at 1440×900 and checked for what a person would look for: graphs with drawn series,
// the fleet's targets, TSDB numbers, dashboards whose panels all have data, and — after the
// fleet's incident is switched on — the failing service version on the Network page (UC/UH
// response flags, non-2xx ratio) and its throttled pod on the OS page, read from the page's
// legends and tables. Each dashboard's load time is printed with its slowest panels and
// queries. Screenshots go to a temp dir, and to docs/img/ with VIGIL_UPDATE_SCREENSHOTS=1.
//
//   node --test tests/          (from web/, after npm run build)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { FLEET_TARGETS, SCRAPE_INTERVAL_S, repoDir, startStack } from './stack.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const DASHBOARDS = ['application', 'network', 'os'];
const MAX_DASHBOARD_MS = Number(process.env.VIGIL_UI_MAX_DASHBOARD_MS || 90000);
const RANGE = process.env.VIGIL_UI_RANGE || '5m';
const shotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-shots-'));
const updateShots = process.env.VIGIL_UPDATE_SCREENSHOTS === '1';

let stack;
let browser;
let context;

// Saves a screenshot to the temp dir, and to docs/img/ with VIGIL_UPDATE_SCREENSHOTS=1 unless
// `keep` is false (a page whose committed screenshot another test takes).
async function shot(page, name, { keep = true } = {}) {
  const file = path.join(shotDir, `${name}.png`);
  await page.screenshot({ path: file });
  if (updateShots && keep) {
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

async function apiQuery(query) {
  const r = await fetch(`${stack.api}/api/v1/query?query=${encodeURIComponent(query)}`);
  const j = await r.json();
  if (j.status !== 'success') throw new Error(`${query}: ${j.error}`);
  return j.data.result;
}

async function waitUntil(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Loads a dashboard and waits until every panel is drawn; returns the page and the time. */
async function openDashboard(uid) {
  const page = await newPage();
  const t0 = Date.now();
  await page.goto(`/d/${uid}?refresh=off&range=${RANGE}`);
  await page.waitForSelector('.dashboard[data-loaded]');
  return { page, ms: Date.now() - t0 };
}

/** A graph panel's legend as [{label, last}], in legend order. */
function legend(page, title) {
  return page.$$eval(`.panel[data-title^="${title}"] .legend-item`, (els) => els.map((e) => ({
    label: e.querySelector('.legend-label').textContent,
    last: e.dataset.last === '' ? null : Number(e.dataset.last),
  })));
}

/** A table panel's rows as [{<label>: text, ..., value}], in table order. */
function tableRows(page, title) {
  return page.$$eval(`.panel[data-title^="${title}"] tbody tr`, (trs) => trs.map((tr) => {
    const row = { value: Number(tr.dataset.value) };
    for (const td of tr.querySelectorAll('td[data-label]')) row[td.dataset.label] = td.textContent;
    return row;
  }));
}

/** A stat panel's first value. */
async function statValue(page, title) {
  return Number(await page.getAttribute(`.panel[data-title="${title}"] .stat-item`, 'data-value'));
}

/**
 * Prints the dashboard's slowest panels (time to draw, slowest query on the wire) and then
 * times each panel query alone against the API, printing the slowest ones.
 */
async function profileDashboard(page, uid) {
  const panels = await page.$$eval('.panel[data-ms]', (els) => els.map((e) => ({
    title: e.dataset.title, ms: Number(e.dataset.ms), queryMs: Number(e.dataset.queryMs),
    queries: JSON.parse(e.dataset.queries ?? '[]'),
  })));
  const slow = panels.slice().sort((a, b) => b.ms - a.ms).slice(0, 4);
  console.log(`# ${uid}: slowest panels (drawn after / slowest query): ${slow.map((p) => `${p.title} ${p.ms}/${p.queryMs} ms`).join('; ')}`);
  const timed = [];
  for (const p of panels) {
    for (const q of p.queries) {
      const params = new URLSearchParams({ query: q.query, stats: '1' });
      const range = q.time === undefined;
      if (range) for (const k of ['start', 'end', 'step']) params.set(k, String(q[k]));
      else params.set('time', String(q.time));
      const t0 = performance.now();
      const j = await (await fetch(`${stack.api}/api/v1/${range ? 'query_range' : 'query'}?${params}`)).json();
      const ms = performance.now() - t0;
      const samples = j.data?.stats?.samples?.totalQueryableSamples ?? '?';
      timed.push({ title: p.title, ms, samples, series: j.data?.result?.length ?? 0 });
    }
  }
  const total = timed.reduce((a, q) => a + q.ms, 0);
  timed.sort((a, b) => b.ms - a.ms);
  console.log(`# ${uid}: ${timed.length} queries one at a time: ${Math.round(total)} ms in all; slowest: ${timed.slice(0, 4).map((q) => `${q.title} ${Math.round(q.ms)} ms (${q.samples} samples, ${q.series} series)`).join('; ')}`);
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
    const { page, ms } = await openDashboard(uid);
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
    // The committed Network and OS screenshots show the incident (taken below).
    await shot(page, `dashboard-${uid}`, { keep: uid === 'application' || !stack.fleet });
    await profileDashboard(page, uid);
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

// What an SRE looks at when the fleet's incident starts: one destination service version answers
// with Envoy response flags UC and UH and its pod is CPU-throttled. Everything is read from the
// pages (legend values, table rows, stat values), before and after the switch.
test('the incident shows on the Network and OS pages', async (t) => {
  if (!stack.fleet) {
    t.skip('no fleet to switch (VIGIL_UI_URL)');
    return;
  }
  const svc = stack.fleet.incidentService;
  const ver = stack.fleet.incidentVersion;
  const dest = `${svc} ${ver}`;
  const isIncidentPod = (label) => label.startsWith(`${svc}-${ver}-`);
  const readNetwork = async (page) => ({
    flags: await legend(page, 'Envoy response flags by destination'),
    edges: await tableRows(page, 'Top edges by Envoy response flag'),
    non2xx: await legend(page, 'Non-2xx ratio by destination version'),
    flagged: await statValue(page, 'Flagged by Envoy'),
  });
  const readOs = async (page) => ({
    throttled: await legend(page, 'CPU saturation: CFS throttling'),
    cpu: (await legend(page, 'CPU utilisation')).filter((s) => !s.label.startsWith('host ')),
  });
  const lastOf = (series, label) => series.find((s) => s.label === label)?.last ?? 0;

  let page = (await openDashboard('network')).page;
  const netBefore = await readNetwork(page);
  await page.close();
  page = (await openDashboard('os')).page;
  const osBefore = await readOs(page);
  await page.close();

  const switched = Date.now() / 1000;
  await stack.fleet.setIncident(true);
  // Every fleet target scraped a whole rate window ($__rate_interval: 4 scrapes) after the
  // switch, so the panels' last values are all incident; a minute of it for the committed
  // screenshots, so the graphs show it as more than a last step.
  const ready = switched + (updateShots ? 60 : 5 * SCRAPE_INTERVAL_S);
  await waitUntil('scrapes after the switch', async () => {
    const r = await apiQuery('min(timestamp(up{job="fleet"}))');
    return r.length > 0 && Number(r[0].value[1]) >= ready;
  }, 120000);

  const net = await openDashboard('network');
  page = net.page;
  console.log(`# network with the incident: drawn in ${net.ms} ms`);
  const netAfter = await readNetwork(page);
  const uc = lastOf(netAfter.flags, `UC → ${dest}`);
  const uh = lastOf(netAfter.flags, `UH → ${dest}`);
  console.log(`# ${dest}: UC ${lastOf(netBefore.flags, `UC → ${dest}`)} → ${uc} req/s, UH ${lastOf(netBefore.flags, `UH → ${dest}`)} → ${uh} req/s, ` +
    `non-2xx ${lastOf(netBefore.non2xx, dest)} → ${lastOf(netAfter.non2xx, dest)}, flagged ${netBefore.flagged} → ${netAfter.flagged}`);
  // The response-flags graph: UC and UH into the incident version lead the legend, far above
  // what they were before (absent from the top 10, or a trickle).
  assert.deepEqual(netAfter.flags.slice(0, 2).map((s) => s.label).sort(), [`UC → ${dest}`, `UH → ${dest}`],
    JSON.stringify(netAfter.flags.slice(0, 4)));
  for (const [flag, v] of [['UC', uc], ['UH', uh]]) {
    const was = lastOf(netBefore.flags, `${flag} → ${dest}`);
    assert.ok(v > 0.5 && v > 5 * was, `${flag} → ${dest}: ${v} req/s, before ${was}`);
  }
  // The top-edges table: its first row is a caller of the incident version with UC or UH, and
  // both flags are listed; together they carry far more than before (a trickle, or nothing).
  const incidentEdges = (rows) => rows.filter((r) => r.destination_canonical_service === svc && r.destination_version === ver && ['UC', 'UH'].includes(r.response_flags));
  const sum = (rows) => rows.reduce((a, r) => a + r.value, 0);
  const edgesAfter = incidentEdges(netAfter.edges);
  assert.deepEqual(new Set(edgesAfter.map((r) => r.response_flags)), new Set(['UC', 'UH']), JSON.stringify(netAfter.edges));
  assert.ok(edgesAfter.includes(netAfter.edges[0]), JSON.stringify(netAfter.edges[0]));
  assert.ok(sum(edgesAfter) > 5 * sum(incidentEdges(netBefore.edges)),
    `UC/UH edges into ${dest}: ${sum(incidentEdges(netBefore.edges))} → ${sum(edgesAfter)} req/s`);
  // Non-2xx ratio: the incident version is the worst destination, and much worse than before.
  assert.equal(netAfter.non2xx[0]?.label, dest, JSON.stringify(netAfter.non2xx.slice(0, 3)));
  assert.ok(lastOf(netAfter.non2xx, dest) > 0.2, `non-2xx ${lastOf(netAfter.non2xx, dest)}`);
  assert.ok(lastOf(netAfter.non2xx, dest) > 3 * lastOf(netBefore.non2xx, dest));
  assert.ok(netAfter.flagged > netBefore.flagged, `flagged share ${netBefore.flagged} → ${netAfter.flagged}`);
  assert.deepEqual(page.jsErrors, []);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'dashboard-network');
  await page.close();

  const os = await openDashboard('os');
  page = os.page;
  console.log(`# os with the incident: drawn in ${os.ms} ms`);
  const osAfter = await readOs(page);
  // CPU saturation: the incident pod is the most throttled, well above every other pod.
  const [top, ...rest] = osAfter.throttled;
  console.log(`# throttled: ${top?.label} ${osBefore.throttled.find((s) => s.label === top?.label)?.last ?? 'absent'} → ${top?.last}; next ${rest[0]?.label} ${rest[0]?.last}`);
  assert.ok(top && isIncidentPod(top.label), JSON.stringify(osAfter.throttled.slice(0, 3)));
  assert.ok(top.last > 0.5, `throttled ${top.last}`);
  for (const s of rest) assert.ok(s.last === null || s.last < top.last / 2, `${s.label} ${s.last} vs ${top.last}`);
  const topBefore = osBefore.throttled.find((s) => s.label === top.label)?.last ?? 0;
  assert.ok(topBefore < top.last / 2, `before ${topBefore}, after ${top.last}`);
  // CPU utilisation: the same pod leads, its busiest container near its CPU limit.
  assert.ok(isIncidentPod(osAfter.cpu[0]?.label ?? ''), JSON.stringify(osAfter.cpu.slice(0, 3)));
  assert.ok(osAfter.cpu[0].last > 0.5 && osAfter.cpu[0].last > 2 * (osAfter.cpu[1]?.last ?? 0),
    `CPU utilisation ${JSON.stringify(osAfter.cpu.slice(0, 2))}`);
  assert.deepEqual(page.jsErrors, []);
  await shot(page, 'dashboard-os');
  await page.close();
});

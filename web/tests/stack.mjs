// The server under test for the browser tests, and a dev stack for working on the UI.
//
// startStack() returns {url, stop()}:
//   - VIGIL_UI_URL set: that URL, nothing is started.
//   - otherwise a simulated fleet (`vigil fleet` when the binary has it, else the benchmark
//     fleet ../shared/bench/fleet.py beside the repository) and node_exporter, monitored by
//     `vigil server` when the binary has it (serving the UI itself, or, while it does not
//     register src/web's handler, behind serve.mjs), else (or with VIGIL_UI_SERVER=prometheus)
//     by Prometheus 2.42 with the built UI served by serve.mjs, which proxies the API.
// Everything listens on 127.0.0.1 on free ports and is stopped by stop().
//
// Run directly (`node tests/stack.mjs`) it starts the stack, prints the URL and runs until
// Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const repoDir = path.resolve(webDir, '..');

// The fleet the tests see: FLEET_TARGETS pods of 25 services, 2 data centres, v1 and v2.
export const FLEET_TARGETS = Number(process.env.VIGIL_UI_FLEET_TARGETS || 40);
const FLEET_SERIES = Number(process.env.VIGIL_UI_FLEET_SERIES || 2500);
export const SCRAPE_INTERVAL_S = 2;
const WORKLOADS = [
  'frontend', 'checkout', 'cart', 'payment', 'shipping', 'catalog', 'search',
  'recommendation', 'user-profile', 'auth', 'inventory', 'pricing', 'orders',
  'notification', 'email', 'currency', 'ads', 'reviews', 'loyalty', 'gateway',
  'fraud-detection', 'invoice', 'warehouse', 'delivery-tracking', 'coupon',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// A base port with `n` free ports after it.
async function freeRange(n) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${n} free consecutive ports`);
}

function vigilBin() {
  const candidates = [process.env.VIGIL_BIN, path.join(repoDir, 'build/bin/vigil')];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  return null;
}

// The subcommand's --help text when `vigil <name> --help` works, else null.
function subcommandHelp(bin, name) {
  if (!bin) return null;
  const r = spawnSync(bin, [name, '--help'], { encoding: 'utf8', timeout: 10000 });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : null;
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = String(e && e.message ? e.message : e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} ${last}`);
}

async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

function prometheusConfig(fleetBase, nodePort, selfPort, fleetTargets) {
  const lines = [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL_S}s`,
    `  evaluation_interval: ${SCRAPE_INTERVAL_S}s`,
    'scrape_configs:',
    '  - job_name: fleet',
    '    static_configs:',
  ];
  for (const g of fleetTargets ?? []) {
    lines.push(`      - targets: ${JSON.stringify(g.targets)}`);
    lines.push(`        labels: ${JSON.stringify(g.labels)}`);
  }
  for (let i = 0; i < FLEET_TARGETS && !fleetTargets; i++) {
    const service = WORKLOADS[i % WORKLOADS.length];
    lines.push(`      - targets: ['127.0.0.1:${fleetBase + i}']`);
    lines.push('        labels:');
    lines.push(`          service: '${service}'`);
    lines.push(`          dc: '${i % 2 === 0 ? 'dc1' : 'dc2'}'`);
    lines.push(`          version: '${i < WORKLOADS.length ? 'v1' : 'v2'}'`);
  }
  lines.push(
    '  - job_name: node',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${nodePort}']`,
    '        labels: {dc: dc1}',
    '    relabel_configs:',
    '      - source_labels: [__address__]',
    "        regex: '127\\.0\\.0\\.1:(.*)'",
    '        target_label: host',
    "        replacement: 'localhost'",
    '  - job_name: self',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${selfPort}']`,
    '  - job_name: unreachable',
    '    scrape_interval: 5s',
    '    static_configs:',
    "      - targets: ['127.0.0.1:1']",
  );
  return lines.join('\n') + '\n';
}

export async function startStack({ log = () => {} } = {}) {
  if (process.env.VIGIL_UI_URL) {
    return { url: process.env.VIGIL_UI_URL.replace(/\/$/, ''), kind: 'external', stop: async () => {} };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-'));
  const procs = [];
  let staticServer = null;
  const stop = async () => {
    if (staticServer) await new Promise((r) => staticServer.close(r));
    for (const p of procs.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => { p.kill('SIGKILL'); r(); }, 5000);
          p.once('exit', () => { clearTimeout(t); r(); });
        });
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const run = (cmd, args, name) => {
    const out = fs.openSync(path.join(tmp, `${name}.log`), 'w');
    const p = spawn(cmd, args, { stdio: ['ignore', out, out], cwd: tmp });
    p.once('exit', (code, sig) => log(`${name} exited (${code ?? sig})`));
    procs.push(p);
    return p;
  };
  try {
    const bin = vigilBin();
    const fleetBase = await freeRange(FLEET_TARGETS);
    const fleetHelp = subcommandHelp(bin, 'fleet');
    let fleetTargets = null;  // [{targets, labels}] from vigil fleet's file_sd output
    if (process.env.VIGIL_UI_FLEET !== 'py' && fleetHelp && fleetHelp.includes('--file-sd-out')) {
      // 20 services × 2 versions × 1 pod = FLEET_TARGETS targets; dc is in the metrics.
      const sd = path.join(tmp, 'fleet-sd.json');
      const ready = path.join(tmp, 'fleet.ready');
      run(bin, ['fleet', `--services=${FLEET_TARGETS / 2}`, '--versions=2', '--instances=1',
        `--series-per-target=${FLEET_SERIES}`, `--base-port=${fleetBase}`, '--listen-address=127.0.0.1',
        '--control-port=-1', `--file-sd-out=${sd}`, `--ready-file=${ready}`], 'fleet');
      await waitFor('vigil fleet', () => fs.existsSync(ready) && fs.existsSync(sd), 60000);
      fleetTargets = JSON.parse(fs.readFileSync(sd, 'utf8'));
    } else {
      const fleetPy = path.resolve(repoDir, '..', 'shared', 'bench', 'fleet.py');
      if (!fs.existsSync(fleetPy)) throw new Error(`no vigil fleet and no ${fleetPy}`);
      run('python3', [fleetPy, `--targets=${FLEET_TARGETS}`, `--series-per-target=${FLEET_SERIES}`,
        `--base-port=${fleetBase}`, '--host=127.0.0.1'], 'fleet');
    }
    const nodePort = await freePort();
    run('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nodePort}`], 'node_exporter');
    const serverPort = await freePort();
    const configPath = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configPath, prometheusConfig(fleetBase, nodePort, serverPort, fleetTargets));
    let url;
    let kind;
    if (process.env.VIGIL_UI_SERVER !== 'prometheus' && subcommandHelp(bin, 'server')) {
      kind = 'vigil';
      url = `http://127.0.0.1:${serverPort}`;
      // Prefer vigil; fall back to Prometheus + the static server when it does not come up.
      // An on-disk head first; an in-memory one (empty path) when this build has no on-disk head.
      let p;
      let servesUi = 'down';
      for (const dataDir of [path.join(tmp, 'data'), '']) {
        p = run(bin, ['server', `--config.file=${configPath}`, '--storage.tsdb.path', dataDir,
          `--web.listen-address=127.0.0.1:${serverPort}`], 'vigil');
        servesUi = await waitFor('vigil server', async () => {
          if (p.exitCode !== null) return 'exited';
          const r = await fetch(`${url}/`);
          return (await r.text()).includes('id="app"') ? 'ui' : 'no-ui';
        }, 30000).catch(() => 'down');
        if (servesUi !== 'exited') break;
      }
      if (servesUi === 'no-ui') {
        // This vigil does not embed the UI handler yet: test the UI against its API, with the UI
        // served by the static server.
        const uiPort = await freePort();
        staticServer = await startStaticServer({ dir: path.join(webDir, 'dist'), port: uiPort, upstream: url });
        url = `http://127.0.0.1:${uiPort}`;
        kind = 'vigil (UI from web/dist)';
      } else if (servesUi !== 'ui') {
        log(`vigil server did not come up (${servesUi}); using Prometheus instead`);
        if (p.exitCode === null && p.signalCode === null) {
          const exited = new Promise((r) => p.once('exit', r));
          p.kill('SIGKILL');
          await exited;
        }
        kind = null;
      }
    }
    if (!kind) {
      kind = 'prometheus';
      run('prometheus', [`--config.file=${configPath}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${serverPort}`, '--log.level=warn'], 'prometheus');
      const uiPort = await freePort();
      staticServer = await startStaticServer({
        dir: path.join(webDir, 'dist'), port: uiPort, upstream: `http://127.0.0.1:${serverPort}`,
      });
      url = `http://127.0.0.1:${uiPort}`;
    }
    const api = `http://127.0.0.1:${serverPort}`;
    await waitFor(`${kind} ready`, async () => (await fetch(`${api}/-/ready`)).ok, 60000);
    // Every fleet target up, and enough scrapes for rate() over a few intervals.
    await waitFor('fleet targets up', async () => {
      const j = await getJson(`${api}/api/v1/query?query=${encodeURIComponent('sum(up{job="fleet"})')}`);
      const v = j.data.result[0];
      return v && Number(v.value[1]) === FLEET_TARGETS;
    }, 90000);
    const minScrapes = Number(process.env.VIGIL_UI_MIN_SCRAPES || 10);
    await waitFor('enough scrapes', async () => {
      const q = `min(count_over_time(up{job="fleet"}[5m]))`;
      const j = await getJson(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
      const v = j.data.result[0];
      return v && Number(v.value[1]) >= minScrapes;
    }, 90000 + minScrapes * SCRAPE_INTERVAL_S * 1000);
    log(`${kind} at ${url} (logs in ${tmp})`);
    return { url, api, kind, tmp, stop };
  } catch (e) {
    const logs = fs.readdirSync(tmp).filter((f) => f.endsWith('.log'))
      .map((f) => `--- ${f}\n${fs.readFileSync(path.join(tmp, f), 'utf8').slice(-2000)}`).join('\n');
    await stop();
    throw new Error(`${e.message}\n${logs}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startStack({ log: (m) => console.log(m) });
  console.log(`UI: ${s.url}`);
  const bye = async () => { await s.stop(); process.exit(0); };
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}

// The server under test for the browser tests, and a dev stack for working on the UI.
//
// startStack() returns {url, api, kind, fleet, stop()}:
//   - VIGIL_UI_URL set: that URL, nothing is started (fleet is null: no incident control).
//   - otherwise `vigil fleet` (a simulated fleet, with its control port for the incident),
//     node_exporter, and `vigil server` scraping them and serving the UI it embeds, all from
//     the binary in VIGIL_BIN or ../build/bin/vigil.
// Everything listens on 127.0.0.1 on free ports and is stopped by stop().
//
// fleet: {control, incidentService, incidentVersion, setIncident(on)} — POSTs
// /incident/on|off on the fleet's control port.
//
// Run directly (`node tests/stack.mjs`) it starts the stack, prints the URL and runs until
// Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const repoDir = path.resolve(webDir, '..');

// The fleet the tests see: FLEET_TARGETS / 2 services × 2 versions × 1 pod, each pod in one of
// two data centres.
export const FLEET_TARGETS = Number(process.env.VIGIL_UI_FLEET_TARGETS || 40);
const FLEET_SERIES = Number(process.env.VIGIL_UI_FLEET_SERIES || 2500);
export const SCRAPE_INTERVAL_S = 2;

export function vigilBin() {
  return process.env.VIGIL_BIN || path.join(repoDir, 'build/bin/vigil');
}

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

async function getJson(url, init) {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

function serverConfig(fleetSdFile, nodePort, selfPort) {
  return [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL_S}s`,
    `  evaluation_interval: ${SCRAPE_INTERVAL_S}s`,
    'scrape_configs:',
    '  - job_name: fleet',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(fleetSdFile)}]`,
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
  ].join('\n') + '\n';
}

export async function startStack({ log = () => {} } = {}) {
  if (process.env.VIGIL_UI_URL) {
    const url = process.env.VIGIL_UI_URL.replace(/\/$/, '');
    return { url, api: url, kind: 'external', fleet: null, stop: async () => {} };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-'));
  const procs = [];
  const stop = async () => {
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
    if (!fs.existsSync(bin)) throw new Error(`no vigil binary at ${bin} (build it, or set VIGIL_BIN)`);
    // FLEET_TARGETS / 2 services × 2 versions × 1 pod; dc is in the metrics. The targets listen
    // on free ports the fleet picks (--base-port=0) and are listed in its file_sd output.
    const sd = path.join(tmp, 'fleet-sd.json');
    const ready = path.join(tmp, 'fleet.ready');
    const controlPort = await freePort();
    const fleetProc = run(bin, ['fleet', `--services=${FLEET_TARGETS / 2}`, '--versions=2', '--instances=1',
      `--series-per-target=${FLEET_SERIES}`, '--base-port=0', '--listen-address=127.0.0.1',
      `--control-port=${controlPort}`, `--file-sd-out=${sd}`, `--ready-file=${ready}`], 'fleet');
    await waitFor('vigil fleet', () => {
      if (fleetProc.exitCode !== null) throw new Error('vigil fleet exited');
      return fs.existsSync(ready) && fs.existsSync(sd);
    }, 60000);
    const control = `http://127.0.0.1:${controlPort}`;
    const stats = await getJson(`${control}/stats`);
    const fleet = {
      control,
      incidentService: stats.incident_service,
      incidentVersion: stats.incident_version,
      async setIncident(on) {
        const s = await getJson(`${control}/incident/${on ? 'on' : 'off'}`, { method: 'POST' });
        if (s.incident !== on) throw new Error(`fleet incident is ${s.incident}, wanted ${on}`);
      },
    };

    const nodePort = await freePort();
    run('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nodePort}`], 'node_exporter');
    const serverPort = await freePort();
    const configPath = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configPath, serverConfig(sd, nodePort, serverPort));
    const url = `http://127.0.0.1:${serverPort}`;
    const server = run(bin, ['server', `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${serverPort}`], 'vigil');
    await waitFor('vigil server', async () => {
      if (server.exitCode !== null) throw new Error('vigil server exited');
      return (await fetch(`${url}/-/ready`)).ok;
    }, 60000);
    const index = await (await fetch(`${url}/`)).text();
    if (!index.includes('id="app"')) {
      throw new Error(`${url}/ does not serve the UI: build it (cd web && npm run build) and then the binary`);
    }
    // Every fleet target up, and enough scrapes for rate() over a few intervals.
    await waitFor('fleet targets up', async () => {
      const j = await getJson(`${url}/api/v1/query?query=${encodeURIComponent('sum(up{job="fleet"})')}`);
      const v = j.data.result[0];
      return v && Number(v.value[1]) === FLEET_TARGETS;
    }, 90000);
    const minScrapes = Number(process.env.VIGIL_UI_MIN_SCRAPES || 10);
    await waitFor('enough scrapes', async () => {
      const q = `min(count_over_time(up{job="fleet"}[5m]))`;
      const j = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
      const v = j.data.result[0];
      return v && Number(v.value[1]) >= minScrapes;
    }, 90000 + minScrapes * SCRAPE_INTERVAL_S * 1000);
    log(`vigil server at ${url}, fleet control at ${control} (logs in ${tmp})`);
    return { url, api: url, kind: 'vigil', fleet, tmp, stop };
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
  if (s.fleet) {
    console.log(`incident (${s.fleet.incidentService} ${s.fleet.incidentVersion}): curl -X POST ${s.fleet.control}/incident/on`);
  }
  const bye = async () => { await s.stop(); process.exit(0); };
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}

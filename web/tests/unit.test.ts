// Unit tests of the UI's pure functions, table-driven: PromQL completion contexts, template
// substitution, step choice, number formatting, legends, /metrics parsing, and the dashboard
// definitions themselves. Bundled for Node by `npm run test:unit` (vite build --ssr), then run
// with node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDurationSeconds } from '../src/api';
import { lastValue, sortByLast } from '../src/chart';
import { DASHBOARDS, interpolate, rateInterval, ALL } from '../src/dashboard_model';
import { formatValue, legendFor } from '../src/format';
import { contextAt } from '../src/promql';
import { parseMetricSamples } from '../src/pages/tsdb';
import { autoStep, formatDuration } from '../src/time';

test('contextAt: what is being typed', () => {
  const cases: Array<[string, ReturnType<typeof contextAt>]> = [
    ['', { kind: 'none' }],
    ['http_ser', { kind: 'metric', prefix: 'http_ser' }],
    ['sum(rate(http_', { kind: 'metric', prefix: 'http_' }],
    ['up{', { kind: 'labelName', prefix: '', metric: 'up' }],
    ['up{jo', { kind: 'labelName', prefix: 'jo', metric: 'up' }],
    ['up{job="a", inst', { kind: 'labelName', prefix: 'inst', metric: 'up' }],
    ['up{job=', { kind: 'labelValue', prefix: '', metric: 'up', label: 'job', quoted: false }],
    ['up{job=~"fl', { kind: 'labelValue', prefix: 'fl', metric: 'up', label: 'job', quoted: true }],
    ['istio_requests_total{response_flags!="', { kind: 'labelValue', prefix: '', metric: 'istio_requests_total', label: 'response_flags', quoted: true }],
    ['{job="x"', { kind: 'none' }],
    ['rate(up[5', { kind: 'duration', prefix: '5' }],
    ['rate(up[', { kind: 'duration', prefix: '' }],
    ['sum by (ser', { kind: 'labelName', prefix: 'ser', metric: '' }],
    ['sum without(', { kind: 'labelName', prefix: '', metric: '' }],
    ['a / on(instance) group_left(ver', { kind: 'labelName', prefix: 'ver', metric: '' }],
    ['sum(rate(up[5m])) by (job) / cou', { kind: 'metric', prefix: 'cou' }],
    ['rate(up[5m]) > 1e', { kind: 'none' }],
    ['"a string', { kind: 'none' }],
    ['up # comment', { kind: 'none' }],
  ];
  for (const [text, want] of cases) assert.deepEqual(contextAt(text), want, text);
});

test('interpolate: variables, All and built-in intervals', () => {
  const ctx = { vars: { service: 'cart', dc: ALL, version: 'v1.2', svc: 'x"y' }, rateIntervalS: 60, intervalS: 15, rangeS: 3600 };
  const cases: Array<[string, string]> = [
    ['up{service=~"$service"}', 'up{service=~"cart"}'],
    ['up{service=~"${service}",dc=~"$dc"}', 'up{service=~"cart",dc=~".*"}'],
    ['up{version=~"$version"}', 'up{version=~"v1\\\\.2"}'],
    ['up{a=~"$svc"}', 'up{a=~"x\\"y"}'],
    ['rate(x[$__rate_interval])', 'rate(x[60s])'],
    ['increase(x[$__range]) / $__interval', 'increase(x[3600s]) / 15s'],
    ['$services', '$services'],
  ];
  for (const [expr, want] of cases) assert.equal(interpolate(expr, ctx), want, expr);
  assert.equal(rateInterval(15, 15), 60);
  assert.equal(rateInterval(120, 15), 135);
});

test('autoStep: about one point per three pixels, nice values, bounded', () => {
  const cases: Array<[number, number, number, number]> = [
    // range s, width px, min step, want
    [3600, 700, 1, 20],
    [3600, 700, 30, 30],
    [300, 1400, 1, 1],
    [86400, 700, 15, 600],
    [7 * 86400, 1400, 15, 1800],
    [365 * 86400, 200, 1, 86400 * 6],
  ];
  for (const [range, width, min, want] of cases) assert.equal(autoStep(range, width, min), want, `${range}/${width}`);
  // Never more than 11000 points (Prometheus' limit).
  assert.ok(30 * 86400 / autoStep(30 * 86400, 100000, 1) <= 11000);
});

test('durations parse and print', () => {
  const cases: Array<[string, number]> = [['5m', 300], ['1h30m', 5400], ['250ms', 0.25], ['2d', 172800], ['1w', 604800]];
  for (const [s, v] of cases) assert.equal(parseDurationSeconds(s), v, s);
  for (const bad of ['', '5', 'm', '5x', '1h 30m']) assert.ok(Number.isNaN(parseDurationSeconds(bad)), bad);
  const out: Array<[number, string]> = [[3600, '1h'], [5400, '1h30m'], [90, '1m30s'], [0.5, '500ms'], [0, '0s'], [86400 + 60, '1d1m']];
  for (const [v, s] of out) assert.equal(formatDuration(v), s);
});

test('formatValue by unit', () => {
  const cases: Array<[number | null, string, string]> = [
    [1234, 'short', '1.23k'], [0.5, 'short', '0.5'], [2.5e9, 'short', '2.5G'], [0, 'short', '0'],
    [0.0123, 'percentunit', '1.23%'], [1, 'percentunit', '100%'],
    [1536, 'bytes', '1.5 KiB'], [3 * 1024 ** 3, 'bytes', '3 GiB'], [512, 'bytes', '512 B'], [2048, 'Bps', '2 KiB/s'],
    [0.25, 's', '250 ms'], [0.00002, 's', '20 µs'], [90, 's', '1.5 min'], [1500, 'ms', '1.5 s'],
    [12.5, 'reqps', '12.5 req/s'], [null, 'short', '—'], [NaN, 'short', 'NaN'], [Infinity, 's', '+Inf'],
  ];
  for (const [v, unit, want] of cases) assert.equal(formatValue(v, unit), want, `${v} ${unit}`);
});

test('legendFor: templates and the default label list', () => {
  const m = { __name__: 'up', job: 'fleet', instance: 'a:1' };
  assert.equal(legendFor(m, '{{job}} {{ instance }}'), 'fleet a:1');
  assert.equal(legendFor(m, '{{missing}}x'), 'x');
  assert.equal(legendFor(m), 'up{instance="a:1", job="fleet"}');
  assert.equal(legendFor({}), '{}');
});

test('legend order: last values, largest first', () => {
  const cases: Array<[Array<number | null>, number | null]> = [
    [[1, 2, 3], 3], [[1, 2, null], 2], [[null, null], null], [[], null], [[5, null, 0], 0],
  ];
  for (const [values, want] of cases) assert.equal(lastValue(values), want, JSON.stringify(values));
  const series = [
    { label: 'a', metric: {}, values: [9, 1] },
    { label: 'b', metric: {}, values: [null, null] },
    { label: 'c', metric: {}, values: [0, 7] },
    { label: 'd', metric: {}, values: [3, null] },
    { label: 'e', metric: {}, values: [null, 1] },
  ];
  assert.deepEqual(sortByLast(series).map((s) => s.label), ['c', 'd', 'a', 'e', 'b']);
});

test('parseMetricSamples reads one metric from /metrics text', () => {
  const text = [
    '# HELP vigil_head_memory_bytes Head memory by structure.',
    '# TYPE vigil_head_memory_bytes gauge',
    'vigil_head_memory_bytes{structure="series"} 1.5e+06',
    'vigil_head_memory_bytes{structure="postings",note="a\\"b"} 2048',
    'vigil_head_memory_bytes_total 5',
    'process_resident_memory_bytes 1.2e+08',
  ].join('\n');
  assert.deepEqual(parseMetricSamples(text, 'vigil_head_memory_bytes'), [
    { labels: { structure: 'series' }, value: 1.5e6 },
    { labels: { structure: 'postings', note: 'a"b' }, value: 2048 },
  ]);
  assert.deepEqual(parseMetricSamples(text, 'process_resident_memory_bytes'), [{ labels: {}, value: 1.2e8 }]);
  assert.deepEqual(parseMetricSamples(text, 'absent_metric'), []);
});

test('dashboard definitions are well formed', () => {
  const uids = new Set<string>();
  for (const d of DASHBOARDS) {
    assert.ok(d.uid && !uids.has(d.uid), d.uid);
    uids.add(d.uid);
    const varNames = new Set((d.variables ?? []).map((v) => v.name));
    for (const p of d.panels) {
      assert.ok(['graph', 'stat', 'table', 'row'].includes(p.type), `${d.uid}: ${p.title}: type ${p.type}`);
      assert.ok(p.title, `${d.uid}: panel without title`);
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${d.uid}: ${p.title}: no targets`);
      assert.ok(!p.span || (p.span >= 1 && p.span <= 12), `${d.uid}: ${p.title}: span`);
      assert.ok(p.description, `${d.uid}: ${p.title}: no description`);
      for (const t of p.targets ?? []) {
        for (const m of t.expr.matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
          assert.ok(m[1].startsWith('__') || varNames.has(m[1]), `${d.uid}: ${p.title}: unknown variable $${m[1]}`);
        }
        // Balanced brackets and quotes after substitution.
        const e = interpolate(t.expr, { vars: Object.fromEntries([...varNames].map((n) => [n, ALL])), rateIntervalS: 60, intervalS: 15, rangeS: 3600 });
        let depth = 0;
        for (const c of e.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
          if ('({['.includes(c)) depth++;
          if (')}]'.includes(c)) depth--;
          assert.ok(depth >= 0, `${d.uid}: ${p.title}: unbalanced ${e}`);
        }
        assert.equal(depth, 0, `${d.uid}: ${p.title}: unbalanced ${e}`);
      }
      if (p.seriesHelp?.from) assert.equal(typeof d[p.seriesHelp.from], 'object', `${d.uid}: ${p.title}: seriesHelp.from`);
      if (p.sort !== undefined) assert.ok(p.type === 'graph' && p.sort === 'last', `${d.uid}: ${p.title}: sort`);
      if (p.columns !== undefined) {
        assert.equal(p.type, 'table', `${d.uid}: ${p.title}: columns on a ${p.type}`);
        // Every column is a label the queries keep: named in a "by (...)" clause.
        const by = new Set((p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((x) => x.trim()))));
        for (const c of Object.keys(p.columns)) assert.ok(by.has(c), `${d.uid}: ${p.title}: column ${c} is not grouped by`);
      }
    }
  }
  assert.deepEqual([...uids].sort(), ['application', 'network', 'os']);
});

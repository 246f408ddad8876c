// TSDB status: head statistics and cardinality tables from /api/v1/status/tsdb, plus memory
// by structure from the server's own /metrics (vigil_head_memory_bytes{structure=...}; "n/a"
// on servers that do not export it, such as Prometheus) and resident memory per series.
import { ApiError, apiGet, buildInfo } from '../api';
import { errorBox, h, select } from '../dom';
import { formatValue } from '../format';
import { setParams, type Cleanup } from '../router';
import { formatDuration, formatTime } from '../time';

interface NameValue { name: string; value: number }
interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs?: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: NameValue[] | null;
  labelValueCountByLabelName: NameValue[] | null;
  memoryInBytesByLabelName: NameValue[] | null;
  seriesCountByLabelValuePair: NameValue[] | null;
}

/** Samples of one metric in Prometheus text format: [labels, value] (no escapes beyond \" and \\). */
export function parseMetricSamples(text: string, metric: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels: Record<string, string> = {};
    let valuePart = rest;
    if (rest[0] === '{') {
      const close = rest.lastIndexOf('}');
      if (close < 0) continue;
      for (const m of rest.slice(1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
      }
      valuePart = rest.slice(close + 1);
    }
    const v = Number(valuePart.trim().split(/\s+/)[0]);
    if (!Number.isNaN(v) || valuePart.includes('NaN')) out.push({ labels, value: v });
  }
  return out;
}

export function mountTsdb(root: HTMLElement, params: URLSearchParams): Cleanup {
  let limit = params.get('limit') ?? '10';
  const messages = h('div');
  const head = h('div', { class: 'stat-row' });
  const memory = h('div', { class: 'tsdb-memory' });
  const tables = h('div', { class: 'tsdb-grid' });
  const info = h('span', { class: 'stats' });
  const limitSel = select(['10', '20', '50', '100'], limit, (v) => {
    limit = v;
    const p = new URLSearchParams();
    if (v !== '10') p.set('limit', v);
    setParams(p);
    void load();
  }, 'Rows per table');
  root.append(h('section', { class: 'page tsdb' },
    h('div', { class: 'toolbar' }, h('h1', null, 'TSDB status'), h('label', null, 'Top ', limitSel), info),
    messages, head, memory, tables));

  function stat(title: string, value: string, testid?: string, caption?: string) {
    return h('div', { class: 'stat', 'data-testid': testid }, h('div', { class: 'stat-title' }, title),
      h('div', { class: 'stat-value' }, value), caption ? h('div', { class: 'stat-caption' }, caption) : null);
  }

  function table(title: string, rows: NameValue[] | null, valueTitle: string, unit = 'none', total?: number) {
    const body = h('tbody');
    for (const r of rows ?? []) {
      body.append(h('tr', null, h('td', { class: 'mono' }, r.name),
        h('td', { class: 'num' }, unit === 'bytes' ? formatValue(r.value, 'bytes') : r.value.toLocaleString()),
        total ? h('td', { class: 'num muted' }, `${((100 * r.value) / total).toFixed(1)}%`) : null));
    }
    if (!rows || rows.length === 0) body.append(h('tr', null, h('td', { colspan: 3, class: 'muted' }, 'empty')));
    return h('div', { class: 'card' }, h('h3', null, title),
      h('table', { class: 'kv-table' },
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', { class: 'num' }, valueTitle), total ? h('th', { class: 'num' }, 'share') : null)),
        body));
  }

  async function load() {
    messages.replaceChildren();
    const [st, metricsText, bi] = await Promise.all([
      apiGet<TsdbStatus>('/api/v1/status/tsdb', { limit }).catch((e) => e as Error),
      fetch('/metrics').then((r) => (r.ok ? r.text() : '')).catch(() => ''),
      buildInfo(),
    ]);
    info.textContent = bi ? `server ${bi.version}${bi.revision ? ` (${bi.revision.slice(0, 12)})` : ''}` : '';
    const rss = parseMetricSamples(metricsText, 'process_resident_memory_bytes')[0]?.value;
    if (st instanceof Error) {
      messages.append(errorBox(st instanceof ApiError ? st.display : st.message));
      return;
    }
    const hs = st.data.headStats;
    head.replaceChildren(
      stat('Head series', hs.numSeries.toLocaleString(), 'head-series'),
      stat('Head chunks', hs.chunkCount.toLocaleString()),
      stat('Label pairs', hs.numLabelPairs !== undefined ? hs.numLabelPairs.toLocaleString() : 'n/a'),
      stat('Head time range', hs.minTime > 0 && hs.maxTime >= hs.minTime ? formatDuration((hs.maxTime - hs.minTime) / 1000) : 'empty',
        undefined, hs.minTime > 0 ? `${formatTime(hs.minTime / 1000)} → ${formatTime(hs.maxTime / 1000).slice(11)}` : undefined),
      stat('Resident memory', rss !== undefined ? formatValue(rss, 'bytes') : 'n/a'),
      stat('Memory per head series', rss !== undefined && hs.numSeries > 0 ? `${Math.round(rss / hs.numSeries).toLocaleString()} B` : 'n/a', 'bytes-per-series'),
    );
    const structs = parseMetricSamples(metricsText, 'vigil_head_memory_bytes')
      .filter((s) => s.labels.structure)
      .sort((a, b) => b.value - a.value);
    const total = structs.reduce((a, s) => a + s.value, 0);
    memory.replaceChildren(h('div', { class: 'card', 'data-testid': 'memory-by-structure' },
      h('h3', null, 'Head memory by structure'),
      structs.length === 0
        ? h('div', { class: 'muted' }, 'n/a — the server does not export vigil_head_memory_bytes (Prometheus does not).')
        : h('table', { class: 'kv-table' },
          h('thead', null, h('tr', null, h('th', null, 'Structure'), h('th', { class: 'num' }, 'Bytes'), h('th', { class: 'num' }, 'Per series'), h('th', { class: 'num' }, 'share'))),
          h('tbody', null, ...structs.map((s) => h('tr', null,
            h('td', { class: 'mono' }, s.labels.structure),
            h('td', { class: 'num' }, formatValue(s.value, 'bytes')),
            h('td', { class: 'num' }, hs.numSeries > 0 ? `${(s.value / hs.numSeries).toFixed(1)} B` : '—'),
            h('td', { class: 'num muted' }, total > 0 ? `${((100 * s.value) / total).toFixed(1)}%` : '—'))),
          h('tr', { class: 'total' }, h('td', null, 'total'), h('td', { class: 'num' }, formatValue(total, 'bytes')),
            h('td', { class: 'num' }, hs.numSeries > 0 ? `${(total / hs.numSeries).toFixed(1)} B` : '—'), h('td', null))))));
    tables.replaceChildren(
      table('Top metrics by series count', st.data.seriesCountByMetricName, 'Series', 'none', hs.numSeries),
      table('Top label names by value count', st.data.labelValueCountByLabelName, 'Values'),
      table('Top label names by memory', st.data.memoryInBytesByLabelName, 'Bytes', 'bytes'),
      table('Top label pairs by series count', st.data.seriesCountByLabelValuePair, 'Series', 'none', hs.numSeries),
    );
  }

  void load();
  return () => {};
}

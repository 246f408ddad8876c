// Explore: one PromQL expression as a range graph or an instant table. Everything that
// defines the view (expr, range, end, step, tab, stacked, unit) is in the URL; Prometheus'
// /graph?g0.expr=… links open here too.
import { ApiError, queryInstant, queryRange, type QueryData } from '../api';
import { Chart, matrixToChart } from '../chart';
import { errorBox, h, labelChips, select } from '../dom';
import { formatValue } from '../format';
import { PromQLInput } from '../promql';
import { setParams, type Cleanup } from '../router';
import { autoStep, formatDuration, formatTime, parseRange, parseTime, RANGE_PRESETS, resolve, STEP_PRESETS } from '../time';
import { parseDurationSeconds } from '../api';

const MAX_TABLE_ROWS = 2000;
const UNITS = ['short', 'percentunit', 'bytes', 'Bps', 's', 'ms', 'reqps'];

export function mountExplore(root: HTMLElement, params: URLSearchParams): Cleanup {
  // Prometheus-style links: /graph?g0.expr=...&g0.range_input=1h&g0.tab=0 (0 = graph).
  const expr0 = params.get('expr') ?? params.get('g0.expr') ?? '';
  const state = {
    expr: expr0,
    rangeS: parseRange(params.get('range') ?? params.get('g0.range_input'), 3600),
    end: parseTime(params.get('end') ?? params.get('g0.end_input')),
    step: params.get('step') ?? 'auto',
    tab: params.get('tab') ?? (params.get('g0.tab') === '1' ? 'table' : 'graph'),
    stacked: params.get('stacked') === '1',
    unit: params.get('unit') ?? 'short',
  };
  let abort: AbortController | null = null;

  const input = new PromQLInput(() => run(true));
  input.value = state.expr;
  const runBtn = h('button', { class: 'primary', type: 'button', onclick: () => run(true) }, 'Run query');
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const graphTab = h('button', { type: 'button', role: 'tab', onclick: () => setTab('graph') }, 'Graph');
  const tableTab = h('button', { type: 'button', role: 'tab', onclick: () => setTab('table') }, 'Table');
  tabs.append(graphTab, tableTab);

  const rangeSel = select(uniq([...RANGE_PRESETS, formatDuration(state.rangeS)]), formatDuration(state.rangeS), (v) => {
    state.rangeS = parseRange(v, 3600);
    run(true);
  }, 'Time range');
  const endInput = h('input', { type: 'text', class: 'end-input', placeholder: 'now', 'aria-label': 'End time', size: 19 });
  endInput.value = state.end === null ? '' : formatTime(state.end);
  endInput.addEventListener('change', () => {
    state.end = parseTime(endInput.value.trim());
    run(true);
  });
  const stepSel = select(uniq([...STEP_PRESETS, state.step]), state.step, (v) => {
    state.step = v;
    run(true);
  }, 'Resolution step');
  const stackSel = select([['0', 'lines'], ['1', 'stacked']], state.stacked ? '1' : '0', (v) => {
    state.stacked = v === '1';
    chart?.setStacked(state.stacked);
    syncUrl(false);
  }, 'Graph style');
  const unitSel = select(UNITS, UNITS.includes(state.unit) ? state.unit : 'short', (v) => {
    state.unit = v;
    run(false);
  }, 'Unit');
  const shift = (dir: number) => {
    const { end } = resolve({ rangeS: state.rangeS, end: state.end });
    state.end = dir > 0 && end + state.rangeS / 2 >= Date.now() / 1000 ? null : end + (dir * state.rangeS) / 2;
    endInput.value = state.end === null ? '' : formatTime(state.end);
    run(true);
  };
  const graphControls = h('div', { class: 'controls' },
    h('label', null, 'Range ', rangeSel),
    h('button', { type: 'button', title: 'Earlier', onclick: () => shift(-1) }, '◀'),
    h('label', null, 'End ', endInput),
    h('button', { type: 'button', title: 'Later', onclick: () => shift(1) }, '▶'),
    h('label', null, 'Step ', stepSel),
    h('label', null, 'Style ', stackSel),
    h('label', null, 'Unit ', unitSel),
  );
  const stats = h('span', { class: 'stats', 'data-testid': 'query-stats' });
  const messages = h('div', { class: 'messages' });
  const body = h('div', { class: 'explore-body' });
  root.append(h('section', { class: 'page explore' },
    h('div', { class: 'query-row' }, input.el, runBtn),
    h('div', { class: 'toolbar' }, tabs, graphControls, stats),
    messages,
    body,
  ));

  let chart: Chart | null = null;

  function uniq(xs: string[]): string[] {
    return [...new Set(xs)];
  }

  function setTab(t: string) {
    state.tab = t;
    run(true);
  }

  function syncUrl(push: boolean) {
    const p = new URLSearchParams();
    if (state.expr) p.set('expr', state.expr);
    p.set('tab', state.tab);
    p.set('range', formatDuration(state.rangeS));
    if (state.end !== null) p.set('end', String(Math.round(state.end)));
    if (state.step !== 'auto') p.set('step', state.step);
    if (state.stacked) p.set('stacked', '1');
    if (state.unit !== 'short') p.set('unit', state.unit);
    if (location.pathname !== '/explore') history.replaceState(null, '', '/explore');
    setParams(p, push);
  }

  function showError(e: unknown) {
    if ((e as Error).name === 'AbortError') return;
    messages.replaceChildren(errorBox(e instanceof ApiError ? e.display : String((e as Error).message ?? e)));
    body.classList.add('stale');
  }

  function showWarnings(ws: string[]) {
    for (const w of ws) messages.append(h('div', { class: 'warning-box' }, `warning: ${w}`));
  }

  async function run(push: boolean) {
    state.expr = input.value.trim();
    graphTab.classList.toggle('active', state.tab === 'graph');
    tableTab.classList.toggle('active', state.tab === 'table');
    graphTab.setAttribute('aria-selected', String(state.tab === 'graph'));
    tableTab.setAttribute('aria-selected', String(state.tab === 'table'));
    syncUrl(push);
    abort?.abort();
    messages.replaceChildren();
    if (!state.expr) {
      body.replaceChildren(h('div', { class: 'empty' }, 'Enter an expression and press Enter. Tab completes metric names, labels, values and functions.'));
      stats.textContent = '';
      return;
    }
    abort = new AbortController();
    const signal = abort.signal;
    const t0 = performance.now();
    stats.textContent = 'loading…';
    body.classList.add('loading');
    try {
      if (state.tab === 'graph') {
        const { start, end } = resolve({ rangeS: state.rangeS, end: state.end });
        const width = body.clientWidth || 1000;
        const stepS = state.step === 'auto' ? autoStep(state.rangeS, width) : parseDurationSeconds(state.step);
        const r = await queryRange(state.expr, start, end, stepS, signal);
        const ms = performance.now() - t0;
        renderGraph(r.data, start, end, stepS);
        showWarnings(r.warnings);
        stats.textContent = `${chart?.seriesCount ?? 0} series · step ${formatDuration(stepS)} · ${Math.round(ms)} ms`;
      } else {
        const r = await queryInstant(state.expr, state.end ?? undefined, signal);
        const ms = performance.now() - t0;
        const n = renderTable(r.data);
        showWarnings(r.warnings);
        stats.textContent = `${n} result${n === 1 ? '' : 's'} · ${Math.round(ms)} ms`;
      }
      body.classList.remove('stale');
    } catch (e) {
      stats.textContent = '';
      showError(e);
    } finally {
      body.classList.remove('loading');
    }
  }

  function renderGraph(data: QueryData, start: number, end: number, step: number) {
    chart?.destroy();
    chart = null;
    body.replaceChildren();
    if (data.resultType !== 'matrix') {
      body.append(h('div', { class: 'empty' }, `The result is a ${data.resultType}; the graph needs a range query result (an instant vector expression).`));
      return;
    }
    if (data.result.length === 0) {
      body.append(h('div', { class: 'no-data' }, 'No data: the expression returned no series in this range.'));
      return;
    }
    const holder = h('div', { class: 'explore-chart', 'data-testid': 'explore-chart' });
    body.append(holder);
    chart = new Chart(holder, { height: 380, unit: state.unit, stacked: state.stacked, maxSeries: 1000 });
    chart.setData(matrixToChart([{ series: data.result }], start, end, step));
  }

  function renderTable(data: QueryData): number {
    chart?.destroy();
    chart = null;
    body.replaceChildren();
    const table = h('table', { class: 'result-table', 'data-testid': 'result-table' });
    const tbody = h('tbody');
    table.append(h('thead', null, h('tr', null, h('th', null, 'Series'), h('th', { class: 'num' }, 'Value'))), tbody);
    let n = 0;
    switch (data.resultType) {
      case 'vector':
        n = data.result.length;
        for (const s of data.result.slice(0, MAX_TABLE_ROWS)) {
          const v = Number(s.value[1]);
          tbody.append(h('tr', null, h('td', null, labelChips(s.metric)),
            h('td', { class: 'num', title: formatValue(v, state.unit) }, s.value[1])));
        }
        break;
      case 'matrix':
        n = data.result.length;
        for (const s of data.result.slice(0, MAX_TABLE_ROWS)) {
          const vals = (s.values ?? []).map(([t, v]) => `${v} @${t}`).join('\n');
          tbody.append(h('tr', null, h('td', null, labelChips(s.metric)), h('td', { class: 'num pre' }, vals)));
        }
        break;
      case 'scalar':
      case 'string':
        n = 1;
        tbody.append(h('tr', null, h('td', null, h('span', { class: 'muted' }, data.resultType)), h('td', { class: 'num' }, String(data.result[1]))));
        break;
    }
    if (n === 0) {
      body.append(h('div', { class: 'no-data' }, 'No data: the expression returned an empty result.'));
      return 0;
    }
    body.append(table);
    if (n > MAX_TABLE_ROWS) body.append(h('div', { class: 'muted' }, `Showing ${MAX_TABLE_ROWS} of ${n} results.`));
    return n;
  }

  void run(false);
  setTimeout(() => { if (!state.expr) input.textarea.focus(); }, 0);
  return () => {
    abort?.abort();
    chart?.destroy();
  };
}

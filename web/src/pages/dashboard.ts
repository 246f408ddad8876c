// A dashboard page: variables and a time range shared by all panels, panels laid out on a
// 12-column grid, each panel drawn from its own queries (all in parallel through the API
// queue, top panels first; identical queries are sent once). A panel is in one of four states,
// exposed as data-state for tests and styling: loading, ok, nodata (the queries answered with
// no series) or error (the server's error). What a panel shows is readable from the page:
// legend items carry data-last, stat items and table rows data-value; data-ms is the time
// the panel took to draw, data-query-ms its slowest query on the wire, and data-queries the
// queries it sent (JSON), so a test can time them one by one.
import { ApiError, labelValues, queryInstant, queryRange, scrapeIntervalSeconds, type MatrixSeries, type VectorSample } from '../api';
import { Chart, matrixToChart } from '../chart';
import { ALL, DASHBOARDS, findDashboard, interpolate, rateInterval, type DashboardDef, type PanelDef, type VariableDef } from '../dashboard_model';
import { h, labelChips, select } from '../dom';
import { formatValue, legendFor } from '../format';
import { setParams, type Cleanup } from '../router';
import { autoStep, formatDuration, parseRange, RANGE_PRESETS } from '../time';

const REFRESH = ['off', '10s', '30s', '1m', '5m'];
const STORAGE_PREFIX = 'vigil.dashboard.';

/** The dashboard as the user last edited it (localStorage), else the built-in one. */
function loadDef(uid: string): { def: DashboardDef | undefined; edited: boolean } {
  const saved = localStorage.getItem(STORAGE_PREFIX + uid);
  if (saved) {
    try {
      return { def: JSON.parse(saved) as DashboardDef, edited: true };
    } catch {
      localStorage.removeItem(STORAGE_PREFIX + uid);
    }
  }
  return { def: findDashboard(uid), edited: false };
}

export function mountDashboardList(root: HTMLElement): Cleanup {
  root.append(h('section', { class: 'page dash-list' },
    h('h1', null, 'Dashboards'),
    h('p', { class: 'muted' }, 'The fleet in three layers. Each dashboard is a JSON file in web/dashboards/ that you can copy and edit (button "JSON" on a dashboard).'),
    h('div', { class: 'cards' }, ...DASHBOARDS.map((d) => h('a', { class: 'card dash-card', href: `/d/${d.uid}`, 'data-nav': true },
      h('h3', null, d.title), h('p', null, d.description ?? ''), h('span', { class: 'muted' }, `${d.panels.filter((p) => p.type !== 'row').length} panels`))))));
  return () => {};
}

interface PanelView {
  def: PanelDef;
  el: HTMLElement;
  body: HTMLElement;
  chart: Chart | null;
  abort: AbortController | null;
}

export function mountDashboard(root: HTMLElement, params: URLSearchParams, uid: string): Cleanup {
  const { def, edited } = loadDef(uid);
  if (!def) {
    root.append(h('section', { class: 'page' }, h('div', { class: 'error-box' }, `No dashboard "${uid}".`)));
    return () => {};
  }
  const dash = def;
  const vars: Record<string, string> = {};
  for (const v of dash.variables ?? []) vars[v.name] = params.get(v.name) ?? v.default ?? ALL;
  let rangeS = parseRange(params.get('range') ?? dash.time?.range ?? '1h', 3600);
  let refresh = params.get('refresh') ?? dash.time?.refresh ?? 'off';
  let timer = 0;
  let generation = 0;
  let refreshing = false;
  const views: PanelView[] = [];

  const varBar = h('div', { class: 'variables' });
  const rangeSel = select([...new Set([...RANGE_PRESETS, formatDuration(rangeS)])], formatDuration(rangeS), (v) => {
    rangeS = parseRange(v, 3600);
    sync();
    void refreshAll();
  }, 'Time range');
  const refreshSel = select(REFRESH, REFRESH.includes(refresh) ? refresh : 'off', (v) => {
    refresh = v;
    sync();
    schedule();
  }, 'Auto refresh');
  const status = h('span', { class: 'stats', 'data-testid': 'dashboard-status' });
  const grid = h('div', { class: 'panel-grid' });
  root.append(h('section', { class: 'page dashboard', 'data-dashboard': dash.uid },
    h('div', { class: 'toolbar dash-toolbar' },
      h('h1', { title: dash.description ?? '' }, dash.title, edited ? h('span', { class: 'badge partial', title: 'Edited in this browser' }, 'edited') : null),
      varBar,
      h('span', { class: 'spacer' }),
      h('label', null, 'Range ', rangeSel),
      h('label', null, 'Refresh ', refreshSel),
      h('button', { type: 'button', onclick: () => void refreshAll(), title: 'Reload all panels' }, '↻'),
      h('button', { type: 'button', onclick: () => openJson(), title: 'View, copy or edit this dashboard as JSON' }, 'JSON'),
      status),
    dash.description ? h('p', { class: 'dash-desc muted' }, dash.description) : null,
    grid));

  function sync() {
    const p = new URLSearchParams();
    for (const v of dash.variables ?? []) if (vars[v.name] !== ALL) p.set(v.name, vars[v.name]);
    if (formatDuration(rangeS) !== (dash.time?.range ?? '1h')) p.set('range', formatDuration(rangeS));
    if (refresh !== (dash.time?.refresh ?? 'off')) p.set('refresh', refresh);
    setParams(p);
  }

  function schedule() {
    window.clearInterval(timer);
    const s = parseRange(refresh === 'off' ? null : refresh, 0);
    if (s > 0) timer = window.setInterval(() => { if (!document.hidden && !refreshing) void refreshAll(); }, s * 1000);
  }

  async function buildVariables() {
    const controls = await Promise.all((dash.variables ?? []).map(async (v: VariableDef) => {
      let values: string[] = v.values ?? [];
      if (v.source) {
        try {
          values = await labelValues(v.source.label, v.source.match ? [v.source.match] : undefined);
        } catch {
          values = [];
        }
      }
      const opts: Array<[string, string]> = [];
      if (v.includeAll !== false) opts.push([ALL, 'All']);
      for (const x of values) opts.push([x, x]);
      if (vars[v.name] !== ALL && !values.includes(vars[v.name])) opts.push([vars[v.name], vars[v.name]]);
      const s = select(opts, vars[v.name], (val) => {
        vars[v.name] = val;
        sync();
        void refreshAll();
      }, v.label ?? v.name);
      s.dataset.variable = v.name;
      return h('label', null, `${v.label ?? v.name} `, s);
    }));
    varBar.replaceChildren(...controls);
  }

  function helpFor(p: PanelDef): ((m: Record<string, string>) => string | undefined) | undefined {
    const sh = p.seriesHelp;
    if (!sh) return undefined;
    const table = sh.values ?? ((sh.from ? dash[sh.from] : undefined) as Record<string, string> | undefined) ?? {};
    return (m) => {
      const v = m[sh.label];
      if (v === undefined) return undefined;
      return v.split(',').map((f) => table[f]).filter(Boolean).join('; ') || undefined;
    };
  }

  function buildPanels() {
    for (const p of dash.panels) {
      if (p.type === 'row') {
        grid.append(h('h2', { class: 'panel-row' }, p.title));
        continue;
      }
      const body = h('div', { class: 'panel-body' });
      const exploreLink = h('a', { class: 'panel-link', title: 'Open in Explore', 'data-nav': true, href: '#' }, '↗');
      const el = h('div', {
        class: `panel panel-${p.type}`, 'data-state': 'loading', 'data-title': p.title,
        'data-allow-empty': p.allowEmpty ? 'true' : undefined,
        style: `grid-column: span ${Math.min(12, Math.max(1, p.span ?? 6))}`,
      },
      h('div', { class: 'panel-head' },
        p.use ? h('span', { class: `use-badge use-${p.use}`, title: { U: 'Utilisation', S: 'Saturation', E: 'Errors' }[p.use] }, p.use) : null,
        h('span', { class: 'panel-title' }, p.title),
        p.description ? h('span', { class: 'panel-info', title: p.description, tabindex: 0, 'aria-label': p.description }, 'i') : null,
        exploreLink),
      body);
      if (p.type === 'graph') body.style.minHeight = `${(p.height ?? 200) + 24}px`;
      grid.append(el);
      views.push({ def: p, el, body, chart: null, abort: null });
    }
  }

  function ctxFor(stepS: number, scrapeS: number) {
    return { vars, rateIntervalS: rateInterval(stepS, scrapeS), intervalS: stepS, rangeS };
  }

  function setState(v: PanelView, state: 'loading' | 'ok' | 'nodata' | 'error', message?: string) {
    v.el.dataset.state = state;
    v.el.querySelector('.panel-message')?.remove();
    if (state === 'nodata' || state === 'error') {
      v.chart?.destroy();
      v.chart = null;
      v.body.replaceChildren();
      const text = state === 'error' ? message ?? 'error'
        : v.def.allowEmpty && v.def.emptyText ? `No data — ${v.def.emptyText}` : 'No data';
      v.body.append(h('div', { class: `panel-message ${state === 'error' ? 'error-box' : 'no-data'}`, title: text }, text));
    }
  }

  // Marks a panel drawn: how long it took and its slowest query.
  function timed(v: PanelView, t0: number, results: Array<{ ms: number }>) {
    v.el.dataset.ms = String(Math.round(performance.now() - t0));
    v.el.dataset.queryMs = String(Math.round(Math.max(0, ...results.map((r) => r.ms))));
  }

  // Panels draw in animation frames, all whose answers are in at once: the page is laid out
  // and painted once per frame rather than once per panel, and answers are read between
  // frames (drawing, not the server, is what a dashboard of many panels waits for).
  let nextFrame: Promise<void> | null = null;
  function frame(): Promise<void> {
    nextFrame ??= new Promise((resolve) => requestAnimationFrame(() => {
      nextFrame = null;
      resolve();
    }));
    return nextFrame;
  }

  async function loadPanel(v: PanelView, gen: number, scrapeS: number, now: number, width: number) {
    v.abort?.abort();
    const abort = new AbortController();
    v.abort = abort;
    v.el.classList.add('refreshing');
    const p = v.def;
    const targets = p.targets ?? [];
    const t0 = performance.now();
    let answered: Array<{ ms: number }> = [];
    try {
      if (p.type === 'graph') {
        const stepS = autoStep(rangeS, width, scrapeS);
        const start = Math.floor((now - rangeS) / stepS) * stepS;
        const end = Math.floor(now / stepS) * stepS;
        const ctx = ctxFor(stepS, scrapeS);
        const exprs = targets.map((t) => interpolate(t.expr, ctx));
        setExplore(v, exprs[0] ?? '', stepS);
        v.el.dataset.queries = JSON.stringify(exprs.map((query) => ({ query, start, end, step: stepS })));
        const results = await Promise.all(exprs.map((e) => queryRange(e, start, end, stepS, abort.signal)));
        await frame();
        if (gen !== generation) return;
        answered = results;
        const series = results.map((r, i) => ({
          series: r.data.resultType === 'matrix' ? r.data.result : ([] as MatrixSeries[]),
          legend: targets[i].legend,
        }));
        const total = series.reduce((a, s) => a + s.series.length, 0);
        if (total === 0) return setState(v, 'nodata');
        if (!v.chart) {
          v.body.replaceChildren();
          const holder = h('div');
          v.body.append(holder);
          v.chart = new Chart(holder, {
            height: p.height ?? 200, unit: p.unit, stacked: p.stacked, seriesHelp: helpFor(p), maxSeries: 200,
            sortByLast: p.sort === 'last', width,
          });
        }
        v.chart.setData(matrixToChart(series, start, end, stepS));
        setState(v, 'ok');
      } else {
        const stepS = autoStep(rangeS, 600, scrapeS);
        const ctx = ctxFor(stepS, scrapeS);
        const exprs = targets.map((t) => interpolate(t.expr, ctx));
        setExplore(v, exprs[0] ?? '', stepS, 'table');
        v.el.dataset.queries = JSON.stringify(exprs.map((query) => ({ query, time: now })));
        const results = await Promise.all(exprs.map((e) => queryInstant(e, now, abort.signal)));
        await frame();
        if (gen !== generation) return;
        answered = results;
        const rows: Array<{ sample: VectorSample; legend?: string }> = [];
        results.forEach((r, i) => {
          if (r.data.resultType === 'vector') for (const s of r.data.result) rows.push({ sample: s, legend: targets[i].legend });
          else if (r.data.resultType === 'scalar') rows.push({ sample: { metric: {}, value: r.data.result }, legend: targets[i].legend });
        });
        if (rows.length === 0) return setState(v, 'nodata');
        v.body.replaceChildren(p.type === 'stat' ? renderStat(p, rows) : renderTable(p, rows));
        setState(v, 'ok');
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError' || gen !== generation) return;
      setState(v, 'error', e instanceof ApiError ? e.display : String((e as Error).message ?? e));
    } finally {
      if (gen === generation) {
        v.el.classList.remove('refreshing');
        if (answered.length > 0) timed(v, t0, answered);
      }
    }
  }

  function setExplore(v: PanelView, expr: string, stepS: number, tab = 'graph') {
    const a = v.el.querySelector<HTMLAnchorElement>('.panel-link');
    if (!a) return;
    const q = new URLSearchParams({ expr, tab, range: formatDuration(rangeS), step: formatDuration(stepS) });
    if (v.def.unit) q.set('unit', v.def.unit);
    if (v.def.stacked) q.set('stacked', '1');
    a.href = `/explore?${q}`;
  }

  function renderStat(p: PanelDef, rows: Array<{ sample: VectorSample; legend?: string }>): HTMLElement {
    const wrap = h('div', { class: 'stat-values' });
    for (const { sample, legend } of rows.slice(0, 6)) {
      const v = Number(sample.value[1]);
      let cls = 'stat-big';
      if (p.thresholds?.crit !== undefined && v >= p.thresholds.crit) cls += ' crit';
      else if (p.thresholds?.warn !== undefined && v >= p.thresholds.warn) cls += ' warn';
      else if (p.thresholds) cls += ' good';
      const caption = rows.length > 1 ? legendFor(sample.metric, legend) : '';
      wrap.append(h('div', { class: 'stat-item', 'data-value': String(v) }, h('div', { class: cls }, formatValue(v, p.unit)), caption ? h('div', { class: 'stat-caption' }, caption) : null));
    }
    return wrap;
  }

  function renderTable(p: PanelDef, rows: Array<{ sample: VectorSample; legend?: string }>): HTMLElement {
    const help = helpFor(p);
    const names = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r.sample.metric)) if (k !== '__name__') names.add(k);
    // Columns: the panel's (label → title, in order), else every label, sorted.
    const cols: Array<[string, string]> = p.columns ? Object.entries(p.columns) : [...names].sort().map((c) => [c, c]);
    const sorted = rows.slice().sort((a, b) => Number(b.sample.value[1]) - Number(a.sample.value[1]));
    const anyHelp = help && sorted.some((r) => help(r.sample.metric));
    const tbody = h('tbody', null, ...sorted.slice(0, 200).map((r) => h('tr', { 'data-value': r.sample.value[1] },
      ...cols.map(([c]) => h('td', { class: 'mono', 'data-label': c }, r.sample.metric[c] ?? '')),
      h('td', { class: 'num' }, formatValue(Number(r.sample.value[1]), p.unit)),
      anyHelp ? h('td', { class: 'muted help-cell' }, help!(r.sample.metric) ?? '') : null)));
    const table = h('table', { class: 'panel-table' },
      h('thead', null, h('tr', null, ...cols.map(([, title]) => h('th', null, title)), h('th', { class: 'num' }, 'Value'), anyHelp ? h('th', null, 'Meaning') : null)),
      tbody);
    if (cols.length === 0 && rows.length === 1) return h('div', null, labelChips(rows[0].sample.metric), table);
    return h('div', { class: 'table-scroll', style: `max-height: ${p.height ?? 220}px` }, table);
  }

  async function refreshAll() {
    const gen = ++generation;
    const t0 = performance.now();
    status.textContent = 'loading…';
    refreshing = true;
    const scrapeS = await scrapeIntervalSeconds();
    // One "now" for every panel, so that identical queries are identical requests.
    const now = Math.floor(Date.now() / 1000);
    // Widths first, in one layout, before the panels change the page.
    const widths = views.map((v) => v.body.clientWidth || 500);
    await Promise.all(views.map((v, i) => loadPanel(v, gen, scrapeS, now, widths[i])));
    if (gen !== generation) return;
    refreshing = false;
    const errors = views.filter((v) => v.el.dataset.state === 'error').length;
    status.textContent = `${views.length} panels · ${Math.round(performance.now() - t0)} ms${errors ? ` · ${errors} errors` : ''}`;
    root.querySelector('.dashboard')?.setAttribute('data-loaded', String(gen));
  }

  function openJson() {
    const ta = h('textarea', { class: 'json-edit', spellcheck: 'false', 'aria-label': 'Dashboard JSON' });
    ta.value = JSON.stringify(dash, null, 2);
    const msg = h('div', { class: 'muted' }, 'Copy this into web/dashboards/ (or another file) to keep it. Apply keeps your edit in this browser only.');
    const dlg = h('dialog', { class: 'json-dialog' },
      h('h3', null, `${dash.title} — JSON`), msg, ta,
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', onclick: () => { void navigator.clipboard?.writeText(ta.value).then(() => { msg.textContent = 'Copied.'; }, () => { ta.select(); msg.textContent = 'Press Ctrl+C to copy.'; }); } }, 'Copy'),
        h('button', {
          type: 'button', class: 'primary', onclick: () => {
            try {
              const parsed = JSON.parse(ta.value) as DashboardDef;
              if (!Array.isArray(parsed.panels)) throw new Error('"panels" must be an array');
              localStorage.setItem(STORAGE_PREFIX + uid, JSON.stringify(parsed));
              location.reload();
            } catch (e) {
              msg.textContent = `Not applied: ${(e as Error).message}`;
              msg.className = 'error-box';
            }
          },
        }, 'Apply'),
        edited ? h('button', { type: 'button', onclick: () => { localStorage.removeItem(STORAGE_PREFIX + uid); location.reload(); } }, 'Reset to built-in') : null,
        h('button', { type: 'button', onclick: () => { dlg.close(); dlg.remove(); } }, 'Close')));
    document.body.append(dlg);
    dlg.showModal();
  }

  buildPanels();
  void buildVariables();
  // Now, not after a frame: reading a panel's width lays the page out, so steps follow widths.
  void refreshAll();
  schedule();
  return () => {
    generation++;
    window.clearInterval(timer);
    for (const v of views) {
      v.abort?.abort();
      v.chart?.destroy();
    }
  };
}

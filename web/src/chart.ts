// Time-series graph on uPlot: lines or stacked areas, a legend with the series' labels and
// last values (click isolates a series, Ctrl/Cmd-click toggles it), and a tooltip listing the
// values at the cursor, largest first. One Chart per panel; it follows its container's width.
// Each legend item carries its series' last value as data-last (a number, or empty when the
// series has none), so tests and scripts read what the graph shows.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MatrixSeries } from './api';
import { formatValue, legendFor } from './format';
import { formatTime } from './time';

export interface ChartSeries {
  label: string;
  metric: Record<string, string>;
  values: Array<number | null>;
  help?: string;
}
export interface ChartData { xs: number[]; series: ChartSeries[] }

export interface ChartOptions {
  unit?: string;
  stacked?: boolean;
  height: number;
  /** Optional text shown beside a series in the legend and tooltip (e.g. a flag's meaning). */
  seriesHelp?: (metric: Record<string, string>) => string | undefined;
  /** Upper bound of series drawn (the rest are listed as dropped). */
  maxSeries?: number;
  /** Order series by their last value, largest first (legend, colours and stacking). */
  sortByLast?: boolean;
  /**
   * The container's width in px when the caller knows it (read before changing the page):
   * drawing then does not force a layout. Later resizes are followed either way.
   */
  width?: number;
}

const PALETTE = [
  '#5794f2', '#73bf69', '#f2cc0c', '#ff9830', '#f2495c', '#b877d9', '#8ab8ff', '#96d98d',
  '#ffcb7d', '#ff7383', '#ca95e5', '#3274d9', '#37872d', '#e0b400', '#fa6400', '#c4162a',
  '#8f3bb8', '#4fd1c5', '#a0aec0', '#d69e2e',
];
export function colorFor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function parseSample(s: string): number | null {
  const v = s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : parseFloat(s);
  return Number.isFinite(v) ? v : null;
}

/** The newest non-null value of a series, or null. */
export function lastValue(values: Array<number | null>): number | null {
  for (let k = values.length - 1; k >= 0; k--) if (values[k] !== null) return values[k];
  return null;
}

/** Series ordered by last value, largest first; series without values go last (stable). */
export function sortByLast(series: ChartSeries[]): ChartSeries[] {
  const key = (s: ChartSeries) => lastValue(s.values) ?? -Infinity;
  return series.map((s, i) => ({ s, i, k: key(s) }))
    .sort((a, b) => (b.k - a.k) || (a.i - b.i))
    .map((x) => x.s);
}

/** Aligns range-query results on the start + k·step grid. */
export function matrixToChart(
  results: Array<{ series: MatrixSeries[]; legend?: string }>,
  start: number, end: number, step: number,
): ChartData {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  const xs = new Array<number>(n);
  for (let k = 0; k < n; k++) xs[k] = start + k * step;
  const series: ChartSeries[] = [];
  for (const r of results) {
    for (const s of r.series) {
      const values = new Array<number | null>(n).fill(null);
      for (const [t, v] of s.values ?? []) {
        const k = Math.round((t - start) / step);
        if (k >= 0 && k < n) values[k] = parseSample(v);
      }
      series.push({ label: legendFor(s.metric, r.legend), metric: s.metric, values });
    }
  }
  return { xs, series };
}

// Theme colours from CSS variables, read once per theme: getComputedStyle after the page
// changed recalculates styles, which cost more than drawing when many charts are drawn.
const cssCache = new Map<string, string>();
function cssVar(name: string, fallback: string): string {
  const key = `${document.documentElement.dataset.theme ?? ''}:${name}`;
  let v = cssCache.get(key);
  if (v === undefined) {
    v = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
    cssCache.set(key, v);
  }
  return v;
}

export class Chart {
  private plot: uPlot | null = null;
  private data: ChartData = { xs: [], series: [] };
  private readonly plotEl: HTMLDivElement;
  private readonly legendEl: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly ro: ResizeObserver;
  private hidden = new Set<number>();
  private width = 0;

  constructor(root: HTMLElement, private readonly opts: ChartOptions) {
    root.classList.add('chart');
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'chart-plot';
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'chart-tooltip';
    this.tooltip.hidden = true;
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'chart-legend';
    root.append(this.plotEl, this.legendEl);
    this.plotEl.append(this.tooltip);
    this.ro = new ResizeObserver(() => {
      const w = Math.floor(this.plotEl.clientWidth);
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.plot?.setSize({ width: w, height: this.opts.height });
      }
    });
    this.ro.observe(this.plotEl);
    if (opts.width !== undefined && opts.width > 0) this.width = Math.floor(opts.width);
  }

  setStacked(stacked: boolean): void {
    this.opts.stacked = stacked;
    this.render();
  }

  setData(data: ChartData): void {
    if (this.opts.sortByLast) data = { xs: data.xs, series: sortByLast(data.series) };
    this.data = data;
    this.hidden.clear();
    const max = this.opts.maxSeries ?? 500;
    if (data.series.length > max) this.data = { xs: data.xs, series: data.series.slice(0, max) };
    this.render();
    this.renderLegend(data.series.length - this.data.series.length);
  }

  destroy(): void {
    this.ro.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** Number of series drawn (for tests and stats). */
  get seriesCount(): number {
    return this.data.series.length;
  }

  private stackedValues(): Array<Array<number | null>> {
    const out: Array<Array<number | null>> = [];
    const acc = new Array<number>(this.data.xs.length).fill(0);
    this.data.series.forEach((s, i) => {
      if (this.hidden.has(i)) {
        out.push(s.values.map(() => null));
        return;
      }
      out.push(s.values.map((v, k) => (v === null ? (acc[k] === 0 ? null : acc[k]) : (acc[k] += v))));
    });
    return out;
  }

  private render(): void {
    this.plot?.destroy();
    this.plot = null;
    const { xs, series } = this.data;
    const unit = this.opts.unit ?? 'short';
    const stacked = !!this.opts.stacked;
    const axis = cssVar('--chart-axis', '#9aa4b2');
    const grid = cssVar('--chart-grid', 'rgba(128,128,128,0.15)');
    const yValues = stacked ? this.stackedValues() : series.map((s) => s.values);
    const uSeries: uPlot.Series[] = [{}];
    series.forEach((s, i) => {
      const color = colorFor(i);
      uSeries.push({
        label: s.label,
        stroke: color,
        width: 1.25,
        fill: stacked ? color + '55' : undefined,
        show: !this.hidden.has(i),
        spanGaps: false,
        points: { show: false },
      });
    });
    const bands: uPlot.Band[] = [];
    if (stacked) {
      for (let i = series.length; i > 1; i--) bands.push({ series: [i, i - 1], fill: colorFor(i - 1) + '55' });
    }
    const width = Math.max(100, this.width > 0 ? this.width : Math.floor(this.plotEl.clientWidth || 600));
    this.width = width;
    const fmt = (v: number) => formatValue(v, unit);
    const opts: uPlot.Options = {
      width,
      height: this.opts.height,
      legend: { show: false },
      cursor: { focus: { prox: 16 }, points: { size: 6 } },
      focus: { alpha: 0.35 },
      scales: { x: { time: true }, y: { range: (_u, min, max) => yRange(min, max, stacked) } },
      series: uSeries,
      bands,
      axes: [
        { stroke: axis, space: 70, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        {
          stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 },
          values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v))),
          size: (_u, vals) => Math.max(40, Math.ceil(Math.max(0, ...(vals ?? []).map((v) => String(v).length)) * 7.2) + 22),
        },
      ],
      hooks: {
        setCursor: [(u) => this.updateTooltip(u)],
        setSeries: [(u, idx) => this.highlightLegend(u, idx)],
      },
    };
    this.plot = new uPlot(opts, [xs, ...yValues] as uPlot.AlignedData, this.plotEl);
    this.plotEl.append(this.tooltip);
    this.plotEl.dataset.series = String(series.length);
  }

  private renderLegend(dropped: number): void {
    this.legendEl.replaceChildren();
    const help = this.opts.seriesHelp;
    this.data.series.forEach((s, i) => {
      const item = document.createElement('div');
      item.className = 'legend-item';
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = colorFor(i);
      const text = document.createElement('span');
      text.className = 'legend-label';
      text.textContent = s.label;
      const last = lastValue(s.values);
      item.dataset.last = last === null ? '' : String(last);
      const value = document.createElement('span');
      value.className = 'legend-value';
      value.textContent = formatValue(last, this.opts.unit ?? 'short');
      item.append(sw, text, value);
      const h = s.help ?? help?.(s.metric);
      if (h) {
        s.help = h;
        const hi = document.createElement('span');
        hi.className = 'legend-help';
        hi.textContent = h;
        item.append(hi);
        item.title = `${s.label}: ${h}`;
      } else {
        item.title = s.label;
      }
      item.addEventListener('click', (ev) => this.onLegendClick(i, ev.ctrlKey || ev.metaKey));
      this.legendEl.append(item);
    });
    if (dropped > 0) {
      const d = document.createElement('div');
      d.className = 'legend-more';
      d.textContent = `${dropped} more series not drawn`;
      this.legendEl.append(d);
    }
  }

  private onLegendClick(i: number, toggle: boolean): void {
    const n = this.data.series.length;
    if (toggle) {
      if (this.hidden.has(i)) this.hidden.delete(i);
      else this.hidden.add(i);
    } else {
      const isolated = this.hidden.size === n - 1 && !this.hidden.has(i);
      this.hidden.clear();
      if (!isolated) for (let k = 0; k < n; k++) if (k !== i) this.hidden.add(k);
    }
    if (this.opts.stacked) {
      this.render();
    } else if (this.plot) {
      this.plot.batch(() => {
        for (let k = 0; k < n; k++) this.plot!.setSeries(k + 1, { show: !this.hidden.has(k) });
      });
    }
    this.legendEl.querySelectorAll('.legend-item').forEach((el, k) => el.classList.toggle('off', this.hidden.has(k)));
  }

  private highlightLegend(_u: uPlot, idx: number | null): void {
    this.legendEl.querySelectorAll('.legend-item').forEach((el, k) => el.classList.toggle('focus', idx === k + 1));
  }

  private updateTooltip(u: uPlot): void {
    const idx = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    if (idx === null || idx === undefined || left < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const unit = this.opts.unit ?? 'short';
    const rows: Array<{ i: number; v: number }> = [];
    this.data.series.forEach((s, i) => {
      const v = s.values[idx];
      if (v !== null && v !== undefined && !this.hidden.has(i)) rows.push({ i, v });
    });
    if (rows.length === 0) {
      this.tooltip.hidden = true;
      return;
    }
    rows.sort((a, b) => b.v - a.v);
    const shown = rows.slice(0, 10);
    const t = document.createElement('div');
    t.className = 'tt-time';
    t.textContent = formatTime(this.data.xs[idx]);
    const list = shown.map(({ i, v }) => {
      const row = document.createElement('div');
      row.className = 'tt-row';
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = colorFor(i);
      const l = document.createElement('span');
      l.className = 'tt-label';
      const s = this.data.series[i];
      l.textContent = s.help ? `${s.label} — ${s.help}` : s.label;
      const val = document.createElement('span');
      val.className = 'tt-value';
      val.textContent = formatValue(v, unit);
      row.append(sw, l, val);
      return row;
    });
    this.tooltip.replaceChildren(t, ...list);
    if (rows.length > shown.length) {
      const more = document.createElement('div');
      more.className = 'tt-more';
      more.textContent = `+${rows.length - shown.length} more`;
      this.tooltip.append(more);
    }
    this.tooltip.hidden = false;
    const plotLeft = u.over.offsetLeft;
    const w = this.tooltip.offsetWidth;
    const x = plotLeft + left + 14;
    this.tooltip.style.left = `${x + w > this.plotEl.clientWidth ? Math.max(0, plotLeft + left - w - 14) : x}px`;
    this.tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
  }
}

function yRange(min: number | null, max: number | null, stacked: boolean): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  let lo = min;
  let hi = max;
  if (stacked || lo >= 0) lo = Math.min(0, lo);
  if (hi === lo) hi = lo === 0 ? 1 : lo + Math.abs(lo) * 0.1;
  const pad = (hi - lo) * 0.05;
  return [lo === 0 ? 0 : lo - pad, hi + pad];
}

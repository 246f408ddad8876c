// PromQL input with autocompletion. From the text before the cursor it works out what is
// being typed (a metric or function name, a label name inside {…} or by(…), a label value in
// quotes, a range duration) and offers matching items fetched from the label APIs. Enter runs
// the query, Shift+Enter adds a line, Tab/Enter accepts a suggestion, Esc closes the list.
import { labelNames, labelValues, metadata, type MetricMeta } from './api';

export const FUNCTIONS: Record<string, string> = {
  abs: 'absolute value', absent: '1 if the vector has no elements', absent_over_time: '1 if the range has no samples',
  acos: '', acosh: '', asin: '', asinh: '', atan: '', atanh: '',
  avg_over_time: 'average over the range', ceil: 'round up', changes: 'number of value changes',
  clamp: 'clamp between min and max', clamp_max: '', clamp_min: '', cos: '', cosh: '',
  count_over_time: 'number of samples in the range', day_of_month: '', day_of_week: '', day_of_year: '',
  days_in_month: '', deg: '', delta: 'difference of a gauge over the range', deriv: 'per-second derivative (regression)',
  exp: '', floor: 'round down', histogram_avg: '', histogram_count: '', histogram_fraction: '',
  histogram_quantile: 'φ-quantile from histogram buckets', histogram_stddev: '', histogram_stdvar: '', histogram_sum: '',
  holt_winters: 'smoothed value (2.x)', hour: '', idelta: 'difference of the last two samples',
  increase: 'counter increase over the range', irate: 'per-second rate of the last two samples',
  label_join: 'join label values into a new label', label_replace: 'regex-replace a label',
  last_over_time: 'latest sample in the range', ln: '', log10: '', log2: '', mad_over_time: '',
  max_over_time: 'maximum over the range', min_over_time: 'minimum over the range', minute: '', month: '',
  pi: '', predict_linear: 'linear prediction t seconds ahead', present_over_time: '',
  quantile_over_time: 'φ-quantile over the range', rad: '', rate: 'per-second counter rate over the range',
  resets: 'number of counter resets', round: 'round to nearest', scalar: 'single-element vector as scalar',
  sgn: '', sin: '', sinh: '', sort: 'sort ascending', sort_desc: 'sort descending', sort_by_label: '',
  sort_by_label_desc: '', sqrt: '', stddev_over_time: '', stdvar_over_time: '',
  sum_over_time: 'sum over the range', tan: '', tanh: '', time: 'evaluation time', timestamp: 'sample timestamps',
  vector: 'scalar as vector', year: '',
};
export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk',
  'quantile', 'count_values', 'limitk', 'limit_ratio'];
const KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless'];
const DURATIONS = ['1m', '5m', '10m', '15m', '30m', '1h', '6h', '1d', '$__rate_interval', '$__interval', '$__range'];
const LABEL_LIST_OPENERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

export type Context =
  | { kind: 'metric'; prefix: string }
  | { kind: 'labelName'; prefix: string; metric: string }
  | { kind: 'labelValue'; prefix: string; metric: string; label: string; quoted: boolean }
  | { kind: 'duration'; prefix: string }
  | { kind: 'none' };

/** What is being typed at the end of `text` (the text before the cursor). Exported for tests. */
export function contextAt(text: string): Context {
  // Scan once, tracking strings, braces and brackets, and what opened each parenthesis.
  let inString: string | null = null;
  let braceStart = -1;
  let bracketStart = -1;
  const parens: string[] = [];
  let lastIdent = '';
  let identBeforeBrace = '';
  let stringStart = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === inString) inString = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      inString = c;
      stringStart = i;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return { kind: 'none' };
      i = nl;
    } else if (c === '{') {
      braceStart = i;
      identBeforeBrace = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(text.slice(0, i))?.[1] ?? '';
    } else if (c === '}') {
      braceStart = -1;
    } else if (c === '[') {
      bracketStart = i;
    } else if (c === ']') {
      bracketStart = -1;
    } else if (c === '(') {
      parens.push(lastIdent);
    } else if (c === ')') {
      parens.pop();
    }
    if (/[a-zA-Z_:]/.test(c)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text.slice(i));
      if (m) {
        lastIdent = m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    if (!/\s/.test(c) && c !== '(') lastIdent = '';
  }
  const word = /[a-zA-Z_:][a-zA-Z0-9_:]*$/.exec(text)?.[0] ?? '';
  if (inString) {
    if (braceStart < 0) return { kind: 'none' };
    const before = text.slice(braceStart + 1, stringStart);
    const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*$/.exec(before);
    if (!m) return { kind: 'none' };
    return { kind: 'labelValue', prefix: text.slice(stringStart + 1), metric: identBeforeBrace, label: m[1], quoted: true };
  }
  if (bracketStart >= 0) return { kind: 'duration', prefix: text.slice(bracketStart + 1).trim() };
  if (braceStart >= 0) {
    const inside = text.slice(braceStart + 1);
    const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*$/.exec(inside);
    if (m) return { kind: 'labelValue', prefix: '', metric: identBeforeBrace, label: m[1], quoted: false };
    if (/(^|[,{]\s*|^\s*)[a-zA-Z0-9_]*$/.test(inside)) return { kind: 'labelName', prefix: word, metric: identBeforeBrace };
    return { kind: 'none' };
  }
  const opener = parens[parens.length - 1];
  if (opener && LABEL_LIST_OPENERS.has(opener)) return { kind: 'labelName', prefix: word, metric: '' };
  if (word) {
    // Not a number's exponent or a duration unit ("5m").
    const before = text.slice(0, text.length - word.length);
    if (/[0-9.]$/.test(before)) return { kind: 'none' };
    return { kind: 'metric', prefix: word };
  }
  return { kind: 'none' };
}

interface Item { text: string; kind: string; detail?: string; insert: string; cursorBack?: number }

function rank(items: Item[], prefix: string, limit: number): Item[] {
  const p = prefix.toLowerCase();
  const starts: Item[] = [];
  const contains: Item[] = [];
  for (const it of items) {
    const t = it.text.toLowerCase();
    if (t === p && items.length > 1) continue;
    if (t.startsWith(p)) starts.push(it);
    else if (p.length >= 2 && t.includes(p)) contains.push(it);
    if (starts.length >= limit) break;
  }
  return starts.concat(contains).slice(0, limit);
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class PromQLInput {
  readonly el: HTMLDivElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly list: HTMLUListElement;
  private items: Item[] = [];
  private active = 0;
  private replaceFrom = 0;
  private seq = 0;
  private metricNames: Promise<string[]> | null = null;
  private meta: Record<string, MetricMeta[]> = {};

  constructor(private readonly onSubmit: () => void, placeholder = 'PromQL expression, e.g. rate(http_server_requests_seconds_count[5m])') {
    this.el = document.createElement('div');
    this.el.className = 'promql-input';
    this.textarea = document.createElement('textarea');
    this.textarea.spellcheck = false;
    this.textarea.rows = 1;
    this.textarea.placeholder = placeholder;
    this.textarea.setAttribute('aria-label', 'PromQL expression');
    this.textarea.autocomplete = 'off';
    this.list = document.createElement('ul');
    this.list.className = 'ac-list';
    this.list.hidden = true;
    this.el.append(this.textarea, this.list);
    this.textarea.addEventListener('input', () => {
      this.autosize();
      void this.suggest();
    });
    this.textarea.addEventListener('keydown', (e) => this.onKey(e));
    this.textarea.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    this.textarea.addEventListener('focus', () => {
      if (!this.metricNames) this.loadNames();
    });
    this.list.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (!li) return;
      e.preventDefault();
      this.accept(Number(li.dataset.i));
    });
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(v: string) {
    this.textarea.value = v;
    this.autosize();
  }

  private loadNames(): void {
    this.metricNames = labelValues('__name__').catch(() => []);
    void metadata().then((m) => { this.meta = m; });
  }

  private autosize(): void {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = `${Math.min(240, this.textarea.scrollHeight + 2)}px`;
  }

  private close(): void {
    this.list.hidden = true;
    this.items = [];
  }

  private onKey(e: KeyboardEvent): void {
    const open = !this.list.hidden && this.items.length > 0;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.paint();
      return;
    }
    if (open && (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey))) {
      e.preventDefault();
      this.accept(this.active);
      return;
    }
    if (e.key === 'Escape') {
      this.close();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      this.close();
      this.onSubmit();
    }
  }

  private accept(i: number): void {
    const it = this.items[i];
    if (!it) return;
    const ta = this.textarea;
    const pos = ta.selectionStart;
    let insert = it.insert;
    const after = ta.value.slice(pos);
    if (insert.endsWith('"') && after.startsWith('"')) insert = insert.slice(0, -1);
    if (insert.endsWith('(') && after.startsWith('(')) insert = insert.slice(0, -1);
    ta.value = ta.value.slice(0, this.replaceFrom) + insert + after;
    const caret = this.replaceFrom + insert.length - (it.cursorBack ?? 0);
    ta.setSelectionRange(caret, caret);
    this.close();
    this.autosize();
    ta.focus();
    void this.suggest();
  }

  private paint(): void {
    this.list.replaceChildren(...this.items.map((it, i) => {
      const li = document.createElement('li');
      li.dataset.i = String(i);
      if (i === this.active) li.className = 'active';
      const k = document.createElement('span');
      k.className = `ac-kind ac-${it.kind}`;
      k.textContent = it.kind[0];
      k.title = it.kind;
      const t = document.createElement('span');
      t.className = 'ac-text';
      t.textContent = it.text;
      li.append(k, t);
      if (it.detail) {
        const d = document.createElement('span');
        d.className = 'ac-detail';
        d.textContent = it.detail;
        li.append(d);
      }
      return li;
    }));
    this.list.hidden = this.items.length === 0;
    this.list.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private async suggest(): Promise<void> {
    const seq = ++this.seq;
    const ta = this.textarea;
    const before = ta.value.slice(0, ta.selectionStart);
    const ctx = contextAt(before);
    let items: Item[] = [];
    const limit = 60;
    try {
      switch (ctx.kind) {
        case 'metric': {
          if (!this.metricNames) this.loadNames();
          const names = await this.metricNames!;
          const all: Item[] = [];
          for (const a of AGGREGATIONS) all.push({ text: a, kind: 'aggregation', insert: `${a}(`, detail: 'aggregation' });
          for (const [f, d] of Object.entries(FUNCTIONS)) all.push({ text: f, kind: 'function', insert: `${f}(`, detail: d });
          for (const k of KEYWORDS) all.push({ text: k, kind: 'keyword', insert: k });
          const fromNames = names.map((n) => {
            const m = this.meta[n]?.[0];
            return { text: n, kind: 'metric', insert: n, detail: m ? `${m.type}${m.help ? ' · ' + m.help : ''}` : '' };
          });
          items = rank(all.concat(fromNames), ctx.prefix, limit);
          this.replaceFrom = before.length - ctx.prefix.length;
          break;
        }
        case 'labelName': {
          const names = await labelNames(ctx.metric ? [ctx.metric] : undefined);
          items = rank(names.filter((n) => n !== '__name__').map((n) => ({ text: n, kind: 'label', insert: n })), ctx.prefix, limit);
          this.replaceFrom = before.length - ctx.prefix.length;
          break;
        }
        case 'labelValue': {
          const vals = await labelValues(ctx.label, ctx.metric ? [ctx.metric] : undefined);
          items = rank(vals.map((v) => ({
            text: v, kind: 'value', insert: ctx.quoted ? `${escapeValue(v)}"` : `"${escapeValue(v)}"`,
          })), ctx.prefix, limit);
          this.replaceFrom = before.length - ctx.prefix.length;
          break;
        }
        case 'duration':
          items = rank(DURATIONS.map((d) => ({ text: d, kind: 'duration', insert: d })), ctx.prefix, limit);
          this.replaceFrom = before.length - ctx.prefix.length;
          break;
        default:
          items = [];
      }
    } catch {
      items = [];
    }
    if (seq !== this.seq) return;
    if (document.activeElement !== ta) items = [];
    this.items = items;
    this.active = 0;
    this.paint();
  }
}

// Number formatting by unit, used by axes, tooltips, stats and tables.
//
// Units: "short" (default: SI suffixes), "percentunit" (0..1 shown as %), "percent" (0..100),
// "bytes", "Bps" (bytes per second), "s", "ms", "reqps", "ops", "none".

const SI = [
  [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'],
] as const;
const IEC = [
  [1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB'],
] as const;

function trim(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function sig(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return trim(v, 0);
  if (a >= 10) return trim(v, 1);
  if (a >= 1) return trim(v, 2);
  if (a >= 0.001) return trim(v, 3);
  return v.toExponential(1);
}

function short(v: number): string {
  const a = Math.abs(v);
  for (const [n, s] of SI) if (a >= n) return sig(v / n) + s;
  return sig(v);
}

function bytes(v: number): string {
  const a = Math.abs(v);
  for (const [n, s] of IEC) if (a >= n) return `${sig(v / n)} ${s}`;
  return `${sig(v)} B`;
}

function seconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3) return `${sig(v * 1e6)} µs`;
  if (a < 1) return `${sig(v * 1e3)} ms`;
  if (a < 60) return `${sig(v)} s`;
  if (a < 3600) return `${sig(v / 60)} min`;
  if (a < 86400) return `${sig(v / 3600)} h`;
  return `${sig(v / 86400)} d`;
}

export function formatValue(v: number | null | undefined, unit = 'short'): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'percentunit': return `${sig(v * 100)}%`;
    case 'percent': return `${sig(v)}%`;
    case 'bytes': return bytes(v);
    case 'Bps': return `${bytes(v)}/s`;
    case 's': return seconds(v);
    case 'ms': return seconds(v / 1000);
    case 'reqps': return `${short(v)} req/s`;
    case 'ops': return `${short(v)}/s`;
    case 'none': return String(v);
    default: return short(v);
  }
}

/** Raw sample text as the API returned it ("1.5e+09", "NaN"), for tables. */
export function rawValue(s: string): string {
  return s;
}

export function labelsToString(metric: Record<string, string>, withName = true): string {
  const name = withName ? metric.__name__ ?? '' : '';
  const parts = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return `${name}{${parts.join(', ')}}`;
}

/** Grafana-style legend template: "{{service}} {{version}}". Empty template → all labels. */
export function legendFor(metric: Record<string, string>, template?: string): string {
  if (!template) {
    const s = labelsToString(metric);
    return s === '{}' ? '{}' : s;
  }
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, k) => metric[k] ?? '');
}

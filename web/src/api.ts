// Client for the Prometheus-compatible HTTP API. Every request goes through one queue with a
// bounded number of requests in flight, so a dashboard of many panels does not flood the
// server; identical requests in flight are sent once; errors keep the server's errorType and
// error text verbatim.

export type Labels = Record<string, string>;
export type SamplePair = [number, string];
export interface VectorSample { metric: Labels; value: SamplePair }
export interface MatrixSeries { metric: Labels; values?: SamplePair[]; histograms?: unknown[] }
export type QueryData =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

/** An answer: its data, the server's warnings and infos, and ms from sending to parsed. */
export interface ApiResult<T> { data: T; warnings: string[]; infos: string[]; ms: number }

/** An API failure: HTTP status, Prometheus errorType ("bad_data", "execution", ...) and text. */
export class ApiError extends Error {
  constructor(public errorType: string, message: string, public status = 0) {
    super(message);
  }
  /** "errorType: error", as the server said it. */
  get display(): string {
    return this.errorType ? `${this.errorType}: ${this.message}` : this.message;
  }
}

// Requests in flight at once: the six connections a browser opens to one host. Fewer did not
// draw dashboards sooner on a CPU-bound server (measured: web/README.md).
const MAX_IN_FLIGHT = 6;
let inFlight = 0;
const waiting: Array<() => void> = [];

function pump(): void {
  while (inFlight < MAX_IN_FLIGHT && waiting.length > 0) {
    inFlight++;
    waiting.shift()!();
  }
}

function slot(): Promise<void> {
  return new Promise<void>((r) => {
    waiting.push(r);
    pump();
  });
}

function release(): void {
  inFlight--;
  pump();
}

export type Params = Record<string, string | number | string[] | undefined>;

function encode(params: Params): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, x);
    else sp.append(k, String(v));
  }
  return sp.toString();
}

function abortError(): DOMException {
  return new DOMException('aborted', 'AbortError');
}

/** One request on the wire; `ms` is the time from sending it to its parsed answer. */
async function request<T>(path: string, qs: string, signal: AbortSignal): Promise<ApiResult<T>> {
  const usePost = qs.length > 1500;
  await slot();
  const t0 = performance.now();
  let resp: Response;
  try {
    if (signal.aborted) throw abortError();
    resp = usePost
      ? await fetch(path, {
          method: 'POST', body: qs, signal,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      : await fetch(qs ? `${path}?${qs}` : path, { signal });
  } catch (e) {
    release();
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('', `cannot reach the server: ${(e as Error).message}`);
  }
  let body: any;
  try {
    const text = await resp.text();
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError('', `HTTP ${resp.status}: ${text.slice(0, 300) || resp.statusText}`, resp.status);
    }
  } finally {
    release();
  }
  if (!body || body.status !== 'success') {
    throw new ApiError(body?.errorType ?? '', body?.error ?? `HTTP ${resp.status}`, resp.status);
  }
  return { data: body.data as T, warnings: body.warnings ?? [], infos: body.infos ?? [], ms: performance.now() - t0 };
}

// Identical requests in flight share one answer: panels with the same query (same expression,
// range and step) cost the server one evaluation. A shared request is aborted only when every
// caller waiting for it has aborted.
interface Shared { promise: Promise<ApiResult<unknown>>; users: number; ctl: AbortController }
const shared = new Map<string, Shared>();

/** GET (or POST for long parameter lists) an /api/v1 endpoint and unwrap its envelope. */
export function apiGet<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<ApiResult<T>> {
  if (signal?.aborted) return Promise.reject(abortError());
  const qs = encode(params);
  const key = `${path}?${qs}`;
  let sh = shared.get(key);
  if (!sh) {
    const ctl = new AbortController();
    const entry: Shared = { users: 0, ctl, promise: request<unknown>(path, qs, ctl.signal) };
    const forget = () => { if (shared.get(key) === entry) shared.delete(key); };
    entry.promise.then(forget, forget);
    shared.set(key, entry);
    sh = entry;
  }
  const entry = sh;
  entry.users++;
  return new Promise<ApiResult<T>>((resolve, reject) => {
    let done = false;
    const finish = () => {
      done = true;
      entry.users--;
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (done) return;
      finish();
      if (entry.users === 0) {
        entry.ctl.abort();
        if (shared.get(key) === entry) shared.delete(key);
      }
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort);
    entry.promise.then(
      (r) => { if (!done) { finish(); resolve(r as ApiResult<T>); } },
      (e) => { if (!done) { finish(); reject(e); } });
  });
}

export function queryInstant(query: string, time: number | undefined, signal?: AbortSignal) {
  return apiGet<QueryData>('/api/v1/query', { query, time }, signal);
}

export function queryRange(query: string, start: number, end: number, step: number, signal?: AbortSignal) {
  return apiGet<QueryData>('/api/v1/query_range', { query, start, end, step }, signal);
}

// Cached look-ups used by autocompletion and variables.
const cache = new Map<string, Promise<string[]>>();

export function labelValues(name: string, match?: string[], signal?: AbortSignal): Promise<string[]> {
  const key = `lv:${name}:${(match ?? []).join('|')}`;
  let p = cache.get(key);
  if (!p) {
    p = apiGet<string[]>(`/api/v1/label/${encodeURIComponent(name)}/values`, { 'match[]': match }, signal)
      .then((r) => r.data ?? []);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    setTimeout(() => cache.delete(key), 60_000);
  }
  return p;
}

export function labelNames(match?: string[]): Promise<string[]> {
  const key = `ln:${(match ?? []).join('|')}`;
  let p = cache.get(key);
  if (!p) {
    p = apiGet<string[]>('/api/v1/labels', { 'match[]': match }).then((r) => r.data ?? []);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    setTimeout(() => cache.delete(key), 60_000);
  }
  return p;
}

export interface MetricMeta { type: string; help: string; unit: string }
let metaPromise: Promise<Record<string, MetricMeta[]>> | null = null;
export function metadata(): Promise<Record<string, MetricMeta[]>> {
  if (!metaPromise) {
    metaPromise = apiGet<Record<string, MetricMeta[]>>('/api/v1/metadata', {})
      .then((r) => r.data ?? {})
      .catch(() => ({}));
  }
  return metaPromise;
}

export interface Target {
  discoveredLabels: Labels;
  labels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl?: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval?: string;
  scrapeTimeout?: string;
}
export interface TargetsData { activeTargets: Target[]; droppedTargets: Array<{ discoveredLabels: Labels }> }

export function targets(state = 'active'): Promise<ApiResult<TargetsData>> {
  return apiGet<TargetsData>('/api/v1/targets', { state });
}

let scrapeIntervalPromise: Promise<number> | null = null;
/** The most common scrape interval in seconds (for $__rate_interval); 15 if unknown. */
export function scrapeIntervalSeconds(): Promise<number> {
  if (!scrapeIntervalPromise) {
    scrapeIntervalPromise = targets('active').then((r) => {
      const counts = new Map<string, number>();
      for (const t of r.data.activeTargets ?? []) {
        if (t.scrapeInterval) counts.set(t.scrapeInterval, (counts.get(t.scrapeInterval) ?? 0) + 1);
      }
      let best = '';
      let n = 0;
      for (const [k, v] of counts) if (v > n) { best = k; n = v; }
      const s = best ? parseDurationSeconds(best) : NaN;
      return Number.isFinite(s) && s > 0 ? s : 15;
    }).catch(() => 15);
  }
  return scrapeIntervalPromise;
}

const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
/** "1h30m" → 5400; NaN when not a duration. */
export function parseDurationSeconds(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
  let total = 0;
  let matched = '';
  for (const m of s.trim().matchAll(re)) {
    total += Number(m[1]) * UNIT_S[m[2]];
    matched += m[0];
  }
  return matched.length > 0 && matched === s.trim() ? total : NaN;
}

export interface BuildInfo { version: string; revision: string; branch?: string; goVersion?: string }
export function buildInfo(): Promise<BuildInfo | null> {
  return apiGet<BuildInfo>('/api/v1/status/buildinfo').then((r) => r.data).catch(() => null);
}

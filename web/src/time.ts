// Time ranges, step selection and duration formatting shared by Explore and dashboards.
import { parseDurationSeconds } from './api';

export const RANGE_PRESETS = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d'];
export const STEP_PRESETS = ['auto', '1s', '5s', '10s', '15s', '30s', '1m', '5m', '15m', '1h'];
const NICE_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A time range: `range` seconds ending at `end` (unix seconds; null = now). */
export interface TimeRange { rangeS: number; end: number | null }

export function resolve(tr: TimeRange): { start: number; end: number } {
  const end = tr.end ?? Date.now() / 1000;
  return { start: end - tr.rangeS, end };
}

/**
 * Step for a graph `widthPx` wide: about one point per 3 pixels (lines stay smooth; the server
 * evaluates a third of the steps a point per pixel would cost), rounded up to a nice value, never
 * below `minStepS`, and within Prometheus' 11000 points per series.
 */
export function autoStep(rangeS: number, widthPx: number, minStepS = 1): number {
  const raw = Math.max(rangeS / Math.max(50, widthPx / 3), rangeS / 11000, minStepS);
  for (const s of NICE_STEPS) if (s >= raw) return s;
  return Math.ceil(raw / 86400) * 86400;
}

/** 3600 → "1h", 90 → "1m30s". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '';
  if (s < 1 && s > 0) return `${Math.round(s * 1000)}ms`;
  let rest = Math.round(s);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
  }
  return parts.join('');
}

export function parseRange(s: string | null, fallback: number): number {
  if (!s) return fallback;
  const v = parseDurationSeconds(s);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** "2024-05-01 12:00:00" (local) or unix seconds → unix seconds; null when empty/invalid. */
export function parseTime(s: string | null): number | null {
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const t = Date.parse(s.replace(' ', 'T'));
  return Number.isFinite(t) ? t / 1000 : null;
}

export function formatTime(unix: number): string {
  const d = new Date(unix * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "12s ago", "3m ago" for an RFC 3339 time. */
export function ago(rfc3339: string): string {
  const t = Date.parse(rfc3339);
  if (!Number.isFinite(t) || t <= 0) return 'never';
  const s = (Date.now() - t) / 1000;
  if (s < 0) return 'just now';
  if (s < 1) return `${Math.round(s * 1000)}ms ago`;
  return `${formatDuration(s)} ago`;
}

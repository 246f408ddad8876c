// Dashboards are data: web/dashboards/*.json, bundled into the UI. This module holds their
// types, the built-in list, and the template substitution ($service, $__rate_interval, ...).
import application from '../dashboards/application.json';
import network from '../dashboards/network.json';
import os from '../dashboards/os.json';

export interface VariableDef {
  name: string;
  label?: string;
  /** Values come from /api/v1/label/<label>/values?match[]=<match>. */
  source?: { label: string; match?: string };
  /** Fixed values instead of a source. */
  values?: string[];
  /** Offer "All" (regex .*); default true. */
  includeAll?: boolean;
  default?: string;
}

export interface TargetDef { expr: string; legend?: string }

export interface PanelDef {
  type: 'graph' | 'stat' | 'table' | 'row';
  title: string;
  description?: string;
  /** Width in twelfths of the page (default 6). */
  span?: number;
  height?: number;
  unit?: string;
  stacked?: boolean;
  targets?: TargetDef[];
  /** Stat colouring: values at or above warn/crit are coloured (higher is worse). */
  thresholds?: { warn?: number; crit?: number };
  /** Explain each value of a label (e.g. Envoy response flags): {label, from: key of the dashboard} or {label, values}. */
  seriesHelp?: { label: string; from?: string; values?: Record<string, string> };
  /** "No data" is an expected answer for this panel (e.g. counters absent on VMs). */
  allowEmpty?: boolean;
  emptyText?: string;
  /** USE method column: U, S or E. */
  use?: 'U' | 'S' | 'E';
  /** Graph: "last" orders series by their last value, largest first (legend and colours). */
  sort?: 'last';
  /** Table: the label columns in order, label name → column title (default: all labels). */
  columns?: Record<string, string>;
}

export interface DashboardDef {
  uid: string;
  title: string;
  description?: string;
  time?: { range?: string; refresh?: string };
  variables?: VariableDef[];
  panels: PanelDef[];
  [key: string]: unknown;
}

export const DASHBOARDS: DashboardDef[] = [
  application as DashboardDef,
  network as DashboardDef,
  os as DashboardDef,
];

export function findDashboard(uid: string): DashboardDef | undefined {
  return DASHBOARDS.find((d) => d.uid === uid);
}

export const ALL = '$__all';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Quotes a regex for the inside of a PromQL double-quoted string. */
function promqlStringBody(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

export interface Interpolation {
  vars: Record<string, string>;
  rateIntervalS: number;
  intervalS: number;
  rangeS: number;
}

function dur(s: number): string {
  return `${Math.max(1, Math.round(s))}s`;
}

/**
 * Replaces $__rate_interval, $__interval, $__range and each variable ($name or ${name}).
 * A variable's value is regex-escaped for use in =~ matchers; "All" becomes ".*".
 */
export function interpolate(expr: string, ctx: Interpolation): string {
  let out = expr
    .replace(/\$__rate_interval\b/g, dur(ctx.rateIntervalS))
    .replace(/\$__interval\b/g, dur(ctx.intervalS))
    .replace(/\$__range\b/g, dur(ctx.rangeS));
  const names = Object.keys(ctx.vars).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const v = ctx.vars[name];
    const value = v === ALL ? '.*' : promqlStringBody(escapeRegex(v));
    out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), () => value);
  }
  return out;
}

/** Grafana's $__rate_interval: max(4 × scrape interval, step + scrape interval). */
export function rateInterval(stepS: number, scrapeS: number): number {
  return Math.max(4 * scrapeS, stepS + scrapeS);
}

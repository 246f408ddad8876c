// Targets: scrape pools and their targets from /api/v1/targets — health, last scrape,
// duration, last error, and the labels before (discovered) and after relabeling. Filters
// (health, pool, text) are in the URL.
import { ApiError, targets, type Target } from '../api';
import { errorBox, h, labelChips, select } from '../dom';
import { setParams, type Cleanup } from '../router';
import { ago } from '../time';

export function mountTargets(root: HTMLElement, params: URLSearchParams): Cleanup {
  const state = {
    health: params.get('health') ?? 'all',
    pool: params.get('pool') ?? '',
    search: params.get('search') ?? '',
  };
  const expanded = new Set<string>();
  let data: Target[] = [];
  let dropped = 0;
  let timer = 0;

  const summary = h('span', { class: 'stats', 'data-testid': 'targets-summary' });
  const poolSel = select([['', 'all pools']], '', (v) => { state.pool = v; sync(); }, 'Scrape pool');
  const healthSel = select([['all', 'all'], ['up', 'up'], ['down', 'down'], ['unknown', 'unknown']], state.health,
    (v) => { state.health = v; sync(); }, 'Health');
  const searchInput = h('input', { type: 'search', placeholder: 'filter by endpoint or label', 'aria-label': 'Filter targets' });
  searchInput.value = state.search;
  searchInput.addEventListener('input', () => { state.search = searchInput.value; sync(); });
  const list = h('div', { class: 'pools' });
  const messages = h('div');
  root.append(h('section', { class: 'page targets' },
    h('div', { class: 'toolbar' },
      h('h1', null, 'Targets'),
      h('label', null, 'Pool ', poolSel),
      h('label', null, 'Health ', healthSel),
      searchInput,
      summary),
    messages,
    list));

  function sync() {
    const p = new URLSearchParams();
    if (state.health !== 'all') p.set('health', state.health);
    if (state.pool) p.set('pool', state.pool);
    if (state.search) p.set('search', state.search);
    setParams(p);
    render();
  }

  function matches(t: Target): boolean {
    if (state.health !== 'all' && t.health !== state.health) return false;
    if (state.pool && t.scrapePool !== state.pool) return false;
    if (state.search) {
      const q = state.search.toLowerCase();
      const hay = [t.scrapeUrl, ...Object.entries(t.labels).map(([k, v]) => `${k}=${v}`)].join(' ').toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  }

  function render() {
    const pools = new Map<string, Target[]>();
    for (const t of data) {
      if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
      pools.get(t.scrapePool)!.push(t);
    }
    const names = [...pools.keys()].sort();
    const cur = state.pool;
    poolSel.replaceChildren(h('option', { value: '' }, 'all pools'), ...names.map((n) => h('option', { value: n }, n)));
    poolSel.value = names.includes(cur) ? cur : '';
    const up = data.filter((t) => t.health === 'up').length;
    summary.textContent = `${up} of ${data.length} up · ${names.length} pools${dropped ? ` · ${dropped} dropped by relabeling` : ''}`;
    list.replaceChildren();
    for (const name of names) {
      const all = pools.get(name)!;
      const shown = all.filter(matches);
      if (shown.length === 0) continue;
      const poolUp = all.filter((t) => t.health === 'up').length;
      const table = h('table', { class: 'targets-table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Endpoint'), h('th', null, 'State'), h('th', null, 'Labels'),
          h('th', null, 'Last scrape'), h('th', { class: 'num' }, 'Duration'), h('th', null, 'Error'))));
      const tbody = h('tbody');
      for (const t of shown) {
        const key = `${t.scrapePool}|${t.scrapeUrl}|${JSON.stringify(t.labels)}`;
        const row = h('tr', { class: `target health-${t.health}`, 'data-testid': 'target-row' },
          h('td', null, h('a', { href: t.scrapeUrl, target: '_blank', rel: 'noopener' }, t.scrapeUrl)),
          h('td', null, h('span', { class: `badge ${t.health}` }, t.health.toUpperCase())),
          h('td', null, h('button', {
            type: 'button', class: 'link', title: 'Show labels before and after relabeling',
            onclick: () => { if (expanded.has(key)) expanded.delete(key); else expanded.add(key); render(); },
          }, labelChips(t.labels, true))),
          h('td', { title: t.lastScrape }, ago(t.lastScrape)),
          h('td', { class: 'num' }, `${(t.lastScrapeDuration * 1000).toFixed(1)} ms`),
          h('td', { class: 'error-text' }, t.lastError || ''));
        tbody.append(row);
        if (expanded.has(key)) {
          tbody.append(h('tr', { class: 'relabel' }, h('td', { colspan: 6 },
            h('div', { class: 'relabel-grid' },
              h('div', null, h('h4', null, 'Discovered labels (before relabeling)'), labelChips(t.discoveredLabels, true)),
              h('div', null, h('h4', null, 'Target labels (after relabeling)'), labelChips(t.labels, true))))));
        }
      }
      table.append(tbody);
      const open = expanded.has(`pool:${name}`) || shown.length <= 50 || state.search !== '' || state.health !== 'all';
      const details = h('details', { class: 'pool', 'data-pool': name });
      details.open = open;
      details.append(h('summary', null,
        h('span', { class: 'pool-name' }, name),
        h('span', { class: `badge ${poolUp === all.length ? 'up' : poolUp === 0 ? 'down' : 'partial'}` }, `${poolUp}/${all.length} up`)),
        table);
      details.addEventListener('toggle', () => { if (details.open) expanded.add(`pool:${name}`); else expanded.delete(`pool:${name}`); });
      list.append(details);
    }
    if (!list.firstChild) list.append(h('div', { class: 'no-data' }, data.length ? 'No target matches the filters.' : 'No targets.'));
  }

  async function load() {
    try {
      const r = await targets('any');
      data = r.data.activeTargets ?? [];
      dropped = (r.data.droppedTargets ?? []).length;
      messages.replaceChildren();
      render();
    } catch (e) {
      messages.replaceChildren(errorBox(e instanceof ApiError ? e.display : String(e)));
    }
  }

  void load();
  timer = window.setInterval(() => { if (!document.hidden) void load(); }, 15000);
  return () => window.clearInterval(timer);
}

// Entry point: routes, top navigation state, theme toggle, server version in the header.
import './style.css';
import { buildInfo, scrapeIntervalSeconds } from './api';
import { mountDashboard, mountDashboardList } from './pages/dashboard';
import { mountExplore } from './pages/explore';
import { mountTargets } from './pages/targets';
import { mountTsdb } from './pages/tsdb';
import { h } from './dom';
import { navigate, onRoute, startRouter, type PageMount } from './router';

function resolve(path: string): PageMount {
  if (path === '/' || path === '') {
    history.replaceState(null, '', '/d/application');
    return resolve('/d/application');
  }
  if (path === '/explore' || path === '/graph') return mountExplore;
  if (path === '/targets') return mountTargets;
  if (path === '/tsdb' || path === '/tsdb-status') return mountTsdb;
  if (path === '/d' || path === '/d/' || path === '/dashboards') return mountDashboardList;
  const m = /^\/d\/([A-Za-z0-9_-]+)\/?$/.exec(path);
  if (m) return (root, params) => mountDashboard(root, params, m[1]);
  return (root) => {
    root.append(h('section', { class: 'page' }, h('div', { class: 'no-data' }, `No page at ${path}. `, h('a', { href: '/', 'data-nav': true }, 'Home'))));
  };
}

onRoute((path) => {
  document.querySelectorAll<HTMLAnchorElement>('.topbar nav a').forEach((a) => {
    const r = a.dataset.route ?? '';
    a.classList.toggle('active', path === r || (r === '/explore' && path === '/graph') || (r === '/tsdb' && path === '/tsdb-status'));
  });
  const title = path.startsWith('/d/') ? path.slice(3) : path.slice(1);
  document.title = title ? `${title} · Vigil` : 'Vigil';
});

document.getElementById('theme-toggle')?.addEventListener('click', () => {
  const t = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
  localStorage.setItem('vigil.theme', t);
  // Charts read their colours from CSS variables when drawn: redraw the page.
  navigate(location.pathname + location.search, true);
});

// Dashboards need the scrape interval ($__rate_interval) before their first query: ask now.
void scrapeIntervalSeconds();
startRouter(document.getElementById('app')!, resolve);

void buildInfo().then((b) => {
  const el = document.getElementById('server-info');
  if (el && b) el.textContent = `${b.version}`;
});

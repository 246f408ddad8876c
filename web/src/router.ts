// History-API routing: every page's state lives in its URL (path + query string), so a URL
// can be shared and reload restores the page. Links with data-nav navigate without a reload.

export type Cleanup = () => void;
export type PageMount = (root: HTMLElement, params: URLSearchParams, path: string) => Cleanup | void;

let current: Cleanup | null = null;
let resolveRoute: (path: string) => PageMount;
let rootEl: HTMLElement;
const listeners: Array<(path: string) => void> = [];

export function startRouter(root: HTMLElement, resolve: (path: string) => PageMount): void {
  rootEl = root;
  resolveRoute = resolve;
  window.addEventListener('popstate', () => render());
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest('a');
    if (!a || !a.hasAttribute('data-nav') || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(a.getAttribute('href') ?? '/');
  });
  render();
}

export function onRoute(fn: (path: string) => void): void {
  listeners.push(fn);
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

/** Updates the query string of the current page without re-rendering it. */
export function setParams(params: URLSearchParams, push = false): void {
  const qs = params.toString();
  const url = `${location.pathname}${qs ? '?' + qs : ''}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

function render(): void {
  if (current) current();
  current = null;
  rootEl.replaceChildren();
  const path = location.pathname;
  const mount = resolveRoute(path);
  current = mount(rootEl, new URLSearchParams(location.search), path) || null;
  for (const fn of listeners) fn(location.pathname);
}

// A few DOM helpers so that pages read as a tree: h('div', {class: 'x'}, child, 'text').

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === 'class') {
        el.className = String(v);
      } else if (v === true) {
        el.setAttribute(k, '');
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function select(options: Array<string | [string, string]>, value: string, onChange: (v: string) => void, label?: string): HTMLSelectElement {
  const s = h('select', { 'aria-label': label });
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    s.append(h('option', { value: v }, text));
  }
  s.value = value;
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

/** Labels as chips: name="value" pairs (metric name first when present). */
export function labelChips(labels: Record<string, string>, skipName = false): HTMLElement {
  const wrap = h('span', { class: 'labels' });
  if (!skipName && labels.__name__) wrap.append(h('span', { class: 'metric-name' }, labels.__name__));
  for (const k of Object.keys(labels).sort()) {
    if (k === '__name__') continue;
    wrap.append(h('span', { class: 'chip' }, h('span', { class: 'chip-k' }, k), '=', h('span', { class: 'chip-v' }, labels[k])));
  }
  return wrap;
}

export function errorBox(text: string): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, text);
}

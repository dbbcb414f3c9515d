// A few DOM helpers for the pages: elements built from data, never from HTML strings
// (every value reaches the page as text, so node names or BMC messages cannot inject markup).

type Child = Node | string | null | undefined | false
type Attrs = Record<string, string | boolean | ((e: Event) => void) | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, v)
  }
  append(el, ...children)
  return el
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove()
}

/** A state shown as a coloured badge: ok, warn, bad or idle by its meaning. */
export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'idle', title?: string): HTMLElement {
  return h('span', { class: `badge ${tone}`, title, 'data-tone': tone }, text)
}

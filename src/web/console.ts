// A node's console in xterm.js: read-only by default; an operator takes the
// read-write hold (or forces it over from whoever has it), releases it, sends
// a break; everyone sees who else is attached and who holds read-write. On
// attach the server sends the console's current screen first (replay
// 'screen'), then live bytes. Bytes are written to the terminal as bytes: its
// UTF-8 decoder keeps a character split across two frames whole. A lost
// connection is retried with backoff (RECONNECT_MS), redrawn from the screen.
import { Terminal } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import { SearchAddon } from '@xterm/addon-search'
import { roleAllows, type Me } from './api.js'
import { append, badge, clear, h } from './dom.js'

/** Waits before reconnecting: doubling from the first to the last, reset by a connection that said hello. */
export const RECONNECT_MS = [1000, 2000, 4000, 8000, 15000, 30000]

interface ClientInfo { id: number; user: string; mode: string }
type Holder = { client: number; user: string } | null
type ServerMessage =
  | { type: 'hello'; client: number; mode: string; canWrite: boolean }
  | { type: 'state'; state: string; reason?: string; message?: string }
  | { type: 'clients'; count: number; clients: ClientInfo[] }
  | { type: 'holder'; holder: Holder; you: boolean }
  | { type: 'replay'; kind: string; bytes: number }
  | { type: 'notice'; message: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'dropped'; reason: string }
  | { type: 'input-dropped'; bytes: number; reason: string }

declare global {
  interface Window { bmcvisor?: { term: Terminal } }
}

/** The page's elements and what they show. */
class ConsoleView {
  readonly state = h('span', { id: 'console-state' }, badge('connecting', 'warn'))
  readonly holder = h('span', { id: 'holder' })
  readonly clients = h('span', { id: 'clients', class: 'muted' })
  readonly notice = h('p', { id: 'notice', class: 'notice', role: 'status' })
  readonly take = h('button', { id: 'take', hidden: true }, 'Take read-write')
  readonly release = h('button', { id: 'release', hidden: true }, 'Release')
  readonly brk = h('button', { id: 'break', hidden: true, class: 'danger' }, 'Send break')
  readonly find = h('input', { type: 'search', placeholder: 'search scrollback (Enter: next, Shift-Enter: previous)', id: 'find', 'aria-label': 'search scrollback' })
  readonly screen = h('div', { class: 'terminal', id: 'terminal' })

  constructor(root: HTMLElement, node: string, readonly canWrite: boolean) {
    append(root,
      h('div', { class: 'toolbar' }, h('h1', {}, `Console ${node}`), this.state, this.holder, h('a', { href: `#/node/${encodeURIComponent(node)}` }, 'node page')),
      canWrite ? h('div', { class: 'actions' }, this.take, this.release, this.brk) : h('p', { class: 'muted', id: 'readonly-note' }, 'Your role may watch this console; typing needs an operator.'),
      h('div', { class: 'toolbar' }, this.find, this.clients), this.notice, this.screen)
  }

  showState(text: string, tone: 'ok' | 'warn' | 'bad', title?: string): void {
    clear(this.state)
    this.state.append(badge(text, tone, title))
  }

  showHolder(holder: Holder, you: boolean): void {
    this.holder.textContent = holder === null ? 'read-write is free' : you ? 'read-write: you' : `read-only: ${holder.user} holds read-write`
    this.take.hidden = !this.canWrite || you
    this.take.textContent = holder === null ? 'Take read-write' : `Force takeover from ${holder.user}`
    this.release.hidden = !you
    this.brk.hidden = !you
  }
}

export function consolePage(root: HTMLElement, node: string, me: Me): { stop(): void } {
  const view = new ConsoleView(root, node, roleAllows(me.role, 'operator'))
  const term = new Terminal({ cols: 80, rows: 24, scrollback: 5000, fontSize: 14, allowProposedApi: true })
  const fit = new FitAddon()
  const search = new SearchAddon()
  term.loadAddon(fit)
  term.loadAddon(search)
  // For people and tests looking at the page from its devtools: the terminal's buffer.
  window.bmcvisor = { term }
  term.open(view.screen)
  fit.fit()
  const onResize = () => fit.fit()
  window.addEventListener('resize', onResize)
  view.find.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void (e.shiftKey ? search.findPrevious(view.find.value) : search.findNext(view.find.value))
  })
  const link = new ConsoleLink(node, term, view)
  term.focus()
  return {
    stop: () => {
      link.stop()
      window.removeEventListener('resize', onResize)
      term.dispose()
    },
  }
}

/** The page's WebSocket to the console: control messages to the view, bytes to the terminal, keystrokes back while holding read-write. */
class ConsoleLink {
  private ws: WebSocket | undefined
  private holder: Holder = null
  private you = false
  private me = -1
  private attempt = 0
  private retry: number | undefined
  private stopped = false
  private readonly encoder = new TextEncoder()

  constructor(private readonly node: string, private readonly term: Terminal, private readonly view: ConsoleView) {
    view.take.addEventListener('click', () => {
      if (this.holder !== null && !this.you && !confirm(`Take read-write over from ${this.holder.user}? They become read-only.`)) return
      this.send({ type: 'takeover' })
    })
    view.release.addEventListener('click', () => this.send({ type: 'release' }))
    view.brk.addEventListener('click', () => this.send({ type: 'break' }))
    // Keystrokes leave the page only while this client holds read-write.
    term.onData((s) => {
      if (this.you && this.ws?.readyState === WebSocket.OPEN) this.ws.send(this.encoder.encode(s))
    })
    this.connect()
  }

  stop(): void {
    this.stopped = true
    window.clearTimeout(this.retry)
    this.ws?.close(1000, 'page closed')
  }

  private send(m: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m))
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/nodes/${encodeURIComponent(this.node)}/console/ws?mode=ro&replay=screen`
    const sock = new WebSocket(url)
    this.ws = sock
    sock.binaryType = 'arraybuffer'
    sock.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') this.onControl(JSON.parse(e.data) as ServerMessage)
      else this.term.write(new Uint8Array(e.data))
    }
    sock.onclose = (e) => {
      if (this.ws !== sock || this.stopped) return
      this.holder = null
      this.you = false
      this.view.showHolder(null, false)
      const wait = RECONNECT_MS[Math.min(this.attempt, RECONNECT_MS.length - 1)]!
      this.attempt++
      this.view.showState(`disconnected${e.reason !== '' ? `: ${e.reason}` : ''}; retrying in ${Math.round(wait / 1000)} s`, 'bad')
      this.retry = window.setTimeout(() => this.connect(), wait)
    }
  }

  private onControl(m: ServerMessage): void {
    const v = this.view
    switch (m.type) {
      case 'hello':
        this.me = m.client
        this.attempt = 0
        return
      case 'state':
        return v.showState(m.state + (m.reason !== undefined ? ` (${m.reason})` : ''), m.state === 'connected' ? 'ok' : m.state === 'connecting' ? 'warn' : 'bad', m.message)
      case 'clients':
        v.clients.textContent = `attached: ${m.clients.map((c) => `${c.user}${c.id === this.me ? ' (you)' : ''} ${c.mode}`).join(', ')}`
        return
      case 'holder':
        this.holder = m.holder
        this.you = m.you
        return v.showHolder(m.holder, m.you)
      case 'replay':
        // The next binary frame redraws the screen: start from a clean terminal (a reconnect too).
        this.term.reset()
        return
      case 'notice':
        v.notice.textContent = m.message
        return
      case 'error':
        v.notice.textContent = `${m.code}: ${m.message}`
        return
      case 'dropped':
        v.notice.textContent = `the server dropped this page (${m.reason}); reconnecting`
        return
      case 'input-dropped':
        v.notice.textContent = `${m.bytes} typed bytes did not reach the console (${m.reason})`
        return
      default:
        // A message type of a newer server: nothing to show.
        return void (m satisfies never)
    }
  }
}

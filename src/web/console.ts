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
type ServerMessage =
  | { type: 'hello'; client: number; mode: string; canWrite: boolean }
  | { type: 'state'; state: string; reason?: string; message?: string }
  | { type: 'clients'; count: number; clients: ClientInfo[] }
  | { type: 'holder'; holder: { client: number; user: string } | null; you: boolean }
  | { type: 'replay'; kind: string; bytes: number }
  | { type: 'notice'; message: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'dropped'; reason: string }
  | { type: 'input-dropped'; bytes: number; reason: string }

declare global {
  interface Window { bmcvisor?: { term: Terminal } }
}

export function consolePage(root: HTMLElement, node: string, me: Me): { stop(): void } {
  const canWrite = roleAllows(me.role, 'operator')
  const term = new Terminal({ cols: 80, rows: 24, scrollback: 5000, convertEol: false, fontSize: 14, allowProposedApi: true, cursorBlink: true })
  const fit = new FitAddon()
  const search = new SearchAddon()
  term.loadAddon(fit)
  term.loadAddon(search)
  // For people and tests looking at the page from its devtools: the terminal's buffer.
  window.bmcvisor = { term }

  const state = h('span', { id: 'console-state' }, badge('connecting', 'warn'))
  const holderEl = h('span', { id: 'holder' })
  const who = h('span', { id: 'clients', class: 'muted' })
  const notice = h('p', { id: 'notice', class: 'notice', role: 'status' })
  const takeBtn = h('button', { id: 'take', hidden: true }, 'Take read-write')
  const releaseBtn = h('button', { id: 'release', hidden: true }, 'Release')
  const breakBtn = h('button', { id: 'break', hidden: true, class: 'danger' }, 'Send break')
  const find = h('input', { type: 'search', placeholder: 'search scrollback (Enter: next, Shift-Enter: previous)', id: 'find', 'aria-label': 'search scrollback' })
  const screen = h('div', { class: 'terminal', id: 'terminal' })
  append(root,
    h('div', { class: 'toolbar' }, h('h1', {}, `Console ${node}`), state, holderEl, h('a', { href: `#/node/${encodeURIComponent(node)}` }, 'node page')),
    canWrite ? h('div', { class: 'actions' }, takeBtn, releaseBtn, breakBtn) : h('p', { class: 'muted', id: 'readonly-note' }, 'Your role may watch this console; typing needs an operator.'),
    h('div', { class: 'toolbar' }, find, who), notice, screen)
  term.open(screen)
  fit.fit()
  const onResize = () => fit.fit()
  window.addEventListener('resize', onResize)

  let ws: WebSocket | undefined
  let holder: { client: number; user: string } | null = null
  let you = false
  let myId = -1
  let stopped = false
  let attempt = 0
  let retry: number | undefined
  const encoder = new TextEncoder()
  const send = (m: unknown) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m))

  const showHolder = () => {
    holderEl.textContent = holder === null ? 'read-write is free' : you ? 'read-write: you' : `read-only: ${holder.user} holds read-write`
    takeBtn.hidden = !canWrite || you
    takeBtn.textContent = holder === null ? 'Take read-write' : `Force takeover from ${holder.user}`
    releaseBtn.hidden = !you
    breakBtn.hidden = !you
    term.options.cursorBlink = you
  }
  takeBtn.addEventListener('click', () => {
    if (holder !== null && !you && !confirm(`Take read-write over from ${holder.user}? They become read-only.`)) return
    send({ type: 'takeover' })
  })
  releaseBtn.addEventListener('click', () => send({ type: 'release' }))
  breakBtn.addEventListener('click', () => send({ type: 'break' }))
  find.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return
    if (e.shiftKey) search.findPrevious(find.value)
    else search.findNext(find.value)
  })
  // Keystrokes leave the page only while this client holds read-write.
  term.onData((s) => {
    if (you && ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(s))
  })

  const onControl = (m: ServerMessage) => {
    switch (m.type) {
      case 'hello':
        myId = m.client
        attempt = 0
        return
      case 'state':
        clear(state)
        state.append(badge(m.state + (m.reason !== undefined ? ` (${m.reason})` : ''), m.state === 'connected' ? 'ok' : m.state === 'connecting' ? 'warn' : 'bad', m.message))
        return
      case 'clients':
        who.textContent = `attached: ${m.clients.map((c) => `${c.user}${c.id === myId ? ' (you)' : ''} ${c.mode}`).join(', ')}`
        return
      case 'holder':
        holder = m.holder
        you = m.you
        return showHolder()
      case 'replay':
        // The next binary frame redraws the screen: start from a clean terminal (a reconnect too).
        term.reset()
        return
      case 'notice':
        notice.textContent = m.message
        return
      case 'error':
        notice.textContent = `${m.code}: ${m.message}`
        return
      case 'dropped':
        notice.textContent = `the server dropped this page (${m.reason}); reconnecting`
        return
      case 'input-dropped':
        notice.textContent = `${m.bytes} typed bytes did not reach the console (${m.reason})`
        return
    }
  }

  const connect = () => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/nodes/${encodeURIComponent(node)}/console/ws?mode=ro&replay=screen`
    const sock = new WebSocket(url)
    ws = sock
    sock.binaryType = 'arraybuffer'
    sock.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') return onControl(JSON.parse(e.data) as ServerMessage)
      term.write(new Uint8Array(e.data))
    }
    sock.onclose = (e) => {
      if (ws !== sock || stopped) return
      you = false
      holder = null
      showHolder()
      const wait = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]!
      attempt++
      clear(state)
      state.append(badge(`disconnected${e.reason !== '' ? `: ${e.reason}` : ''}; retrying in ${Math.round(wait / 1000)} s`, 'bad'))
      retry = window.setTimeout(connect, wait)
    }
  }
  connect()
  term.focus()

  return {
    stop: () => {
      stopped = true
      window.clearTimeout(retry)
      window.removeEventListener('resize', onResize)
      ws?.close(1000, 'page closed')
      term.dispose()
    },
  }
}

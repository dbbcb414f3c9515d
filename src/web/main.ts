// The browser UI's entry: sign-in (a one-time code from the link `serve`
// prints, or a token typed once), then the pages by URL fragment:
//   #/             the fleet
//   #/node/NAME    one node
//   #/console/NAME its console
// The token goes to the server once, in a POST body; what stays in the
// browser is an HttpOnly cookie and the CSRF token in this script's memory.
import '@xterm/xterm/css/xterm.css'
import './app.css'
import { api, ApiError, setCsrf, type Me } from './api.js'
import { clear, h } from './dom.js'
import { fleetPage } from './fleet.js'
import { nodePage } from './node.js'
import { consolePage } from './console.js'

type Page = { stop(): void }
let current: Page | undefined
let me: Me | undefined

const main = () => document.getElementById('main')!

async function signedIn(): Promise<Me | undefined> {
  const code = /^#code=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1]
  if (code !== undefined) {
    // The code is used up now: keep it out of history and bookmarks.
    history.replaceState(null, '', location.pathname + '#/')
    try {
      return await api<Me>('POST', '/session', { code })
    } catch (e) {
      showSignIn(e instanceof ApiError ? e.message : String(e))
      return undefined
    }
  }
  const who = await api<Me | { signedIn: false }>('GET', '/session')
  return who.signedIn ? who : undefined
}

function showSignIn(problem?: string): void {
  const root = main()
  clear(root)
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'bmv_…', required: true, 'aria-label': 'API token' })
  const msg = h('p', { class: 'error', role: 'alert' }, problem ?? '')
  const form = h('form', { class: 'signin', id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use the link bmcvisor serve printed, or paste an API token (bmcvisor token create --role viewer). The token is sent once and not kept in this browser.'),
    input, h('button', { type: 'submit' }, 'Sign in'), msg)
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    api<Me>('POST', '/session', { token: input.value }).then(start, (err: unknown) => {
      msg.textContent = err instanceof Error ? err.message : String(err)
    })
    input.value = ''
  })
  root.append(form)
  input.focus()
}

function start(who: Me): void {
  me = who
  setCsrf(who.csrf)
  const whoEl = document.getElementById('who')!
  clear(whoEl)
  whoEl.append(h('span', { id: 'whoami', 'data-role': who.role }, `${who.name} (${who.role})`), ' ',
    h('button', { class: 'link', id: 'signout', onclick: () => void api('DELETE', '/session').finally(() => location.replace('/')) }, 'Sign out'))
  route()
}

function route(): void {
  if (me === undefined) return
  current?.stop()
  const root = main()
  clear(root)
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''))
  const m = /^\/(node|console)\/(.+)$/.exec(hash)
  if (m?.[1] === 'node') current = nodePage(root, m[2]!, me)
  else if (m?.[1] === 'console') current = consolePage(root, m[2]!, me)
  else current = fleetPage(root, me)
}

window.addEventListener('hashchange', route)
signedIn().then((who) => (who !== undefined ? start(who) : document.getElementById('signin') ?? showSignIn()), (e: unknown) => {
  clear(main())
  main().append(h('p', { class: 'error' }, `bmcvisor is not answering: ${e instanceof Error ? e.message : String(e)}`))
})

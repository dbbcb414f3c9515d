// docs/security.md's role table is the registered route table: every route
// (HEAD left out, the /docs files as one row) with the role it declares or
// the open kind it belongs to, and nothing else. A new route, or a changed
// role, cannot land without the threat model saying who may call it.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { consolePlugin } from '../../src/api/routes/console.js'
import { consoleMatchesPlugin } from '../../src/api/routes/console-matches.js'
import { clusterPlugin } from '../../src/api/routes/cluster.js'
import { webPlugin } from '../../src/api/routes/web.js'
import { FleetFeed } from '../../src/api/fleet.js'
import type { ApiPlugin } from '../../src/api/app.js'
import { ConsoleManager, ConsoleMatches } from '../../src/console/index.js'
import { createMetrics, metricsRoute } from '../../src/metrics/index.js'
import { testApi, type TestApi } from './helpers.js'

const DOC = new URL('../../docs/security.md', import.meta.url)
const ROW = /^\| `([A-Z]+) (\S+)` \| (viewer|operator|admin|public|open \((?:health|metrics|docs)\))(?=[ |])/

describe('docs/security.md role table', () => {
  let t: TestApi
  let consoles: ConsoleManager
  before(async () => {
    consoles = new ConsoleManager({ consoleInput: () => false, consoleControl: () => false, control: async () => ({}) })
    const fleet = new FleetFeed({ nodes: async () => [], worker: () => undefined, console: () => undefined, power: () => null, watch: () => () => undefined })
    t = await testApi({ plugins: [consolePlugin(consoles) as ApiPlugin, consoleMatchesPlugin({ matches: new ConsoleMatches(), known: async () => true }), clusterPlugin(undefined) as ApiPlugin], metrics: metricsRoute(createMetrics().registry), ui: webPlugin({ consoles, fleet, secure: false }) })
  })
  after(async () => {
    await t.close()
    await consoles.close()
  })

  it('lists every registered route with its role, and no other', () => {
    const registered = new Map<string, string>()
    for (const r of t.app.bmcvisorRoutes) {
      if (r.method === 'HEAD') continue
      const docs = r.url.startsWith('/docs')
      const key = docs ? 'GET /docs/*' : `${r.method} ${r.url}`
      registered.set(key, r.public ? 'public' : r.role ?? (r.open !== undefined ? `open (${r.open})` : 'admin'))
    }
    const documented = new Map<string, string>()
    for (const line of readFileSync(DOC, 'utf8').split('\n')) {
      const m = ROW.exec(line)
      if (m !== null) documented.set(`${m[1]} ${m[2]}`, m[3]!)
    }
    assert.ok(registered.size > 40)
    assert.deepEqual([...documented].sort(), [...registered].sort())
  })
})

// The audit log says what happened: a refused takeover, reopen, read-write
// attach or route is `denied`, never `ok`; and rows older than the
// retention are pruned when the server starts.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type WebSocket from 'ws'
import { createLogger } from '../../src/log.js'
import { startServer } from '../../src/main.js'
import { openStore } from '../../src/store/sqlite.js'
import { sink } from '../lab/sink.js'
import { openSocket, rawExchange, startSocketLab, upgradeRequest, type SocketLab } from './socket-lab.js'

/** The next JSON control message of `type` on `ws`. */
async function control(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  for (;;) {
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean]
    if (isBinary) continue
    const m = JSON.parse(data.toString()) as Record<string, unknown>
    if (m.type === type) return m
  }
}

describe('audit outcomes', () => {
  let lab: SocketLab
  before(async () => (lab = await startSocketLab()))
  after(() => lab.close())
  const last = async (action: string) => (await lab.store.audit.list({ limit: 1000 })).find((e) => e.action === action)

  it("a viewer's refused takeover and reopen are denied, an operator's takeover ok", async () => {
    const viewer = await openSocket(lab.wsUrl(), lab.tokens.viewer)
    const refused = control(viewer, 'error')
    viewer.send(JSON.stringify({ type: 'takeover' }))
    assert.equal((await refused).code, 'FORBIDDEN')
    assert.equal((await last('console.takeover'))?.outcome, 'denied')
    assert.equal((await last('console.takeover'))?.actor, 'test-viewer')

    const refusedReopen = control(viewer, 'error')
    viewer.send(JSON.stringify({ type: 'reopen' }))
    assert.equal((await refusedReopen).code, 'FORBIDDEN')
    assert.equal((await last('console.reopen'))?.outcome, 'denied')

    const operator = await openSocket(lab.wsUrl('mode=ro'), lab.tokens.operator)
    const holder = control(operator, 'holder')
    operator.send(JSON.stringify({ type: 'takeover' }))
    assert.equal((await holder).you, true)
    assert.equal((await last('console.takeover'))?.outcome, 'ok')
    viewer.close()
    operator.close()
  })

  it('a refused read-write attach and a refused route are denied', async () => {
    const res = await rawExchange(lab.port, upgradeRequest('/api/v1/nodes/n1/console/ws?mode=rw', { authorization: `Bearer ${lab.tokens.viewer}` }))
    assert.equal(res.status, 403)
    assert.equal((await last('console.attach'))?.outcome, 'denied')
    const del = await lab.app.inject({ method: 'DELETE', url: '/api/v1/nodes/n1', headers: lab.auth('operator') })
    assert.equal(del.statusCode, 403)
    const entry = await last('access')
    assert.equal(entry?.outcome, 'denied')
    assert.equal(entry?.target, '/api/v1/nodes/:node')
    assert.equal(entry?.actor, 'test-operator')
  })
})

describe('audit retention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-audit-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('prunes rows older than --audit-retention-days at start and keeps the rest', async () => {
    const store = openStore({ dataDir: dir })
    const day = 86_400_000
    for (const [action, ageDays] of [['old', 40], ['older', 400], ['recent', 2]] as const) {
      await store.audit.append({ actor: 'cli', tokenId: null, action, target: null, detail: null, outcome: 'ok', at: new Date(Date.now() - ageDays * day).toISOString() })
    }
    await store.close()
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logger: createLogger({ destination: sink() }), auditRetentionDays: 30 })
    try {
      assert.deepEqual((await s.store.audit.list()).map((e) => e.action), ['recent'])
    } finally {
      await s.close()
    }
    await assert.rejects(startServer({ listen: '127.0.0.1:0', dataDir: dir, logger: createLogger({ destination: sink() }), auditRetentionDays: 0 }), { code: 'VALIDATION_FAILED' })
  })
})

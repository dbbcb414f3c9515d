// Who may import whom (DESIGN.md, Layers): checked on every source file's
// relative imports, so a layer cannot quietly grow a dependency.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const ROOT = resolve(new URL('../../', import.meta.url).pathname)

// layer -> layers it may import (itself always allowed)
const ALLOWED: Record<string, string[]> = {
  ipmi: [],
  session: ['ipmi'],
  sol: ['ipmi', 'session'],
  bmc: ['ipmi', 'session'],
  sim: ['ipmi'],
  // the Redfish client: the service's errors, the IPMI ops' result types and health rules (bmc, ipmi), the retry timing (session), assertNever (bridge)
  redfish: ['errors', 'ipmi', 'bmc', 'session', 'bridge'],
  bridge: ['errors', 'ipmi', 'ops'],
  ops: ['bmc', 'ipmi', 'errors', 'store', 'redfish'],
  supervisor: ['bridge', 'errors', 'log'],
  console: ['bridge', 'errors', 'log'],
  metrics: ['errors', 'bridge', 'ops'],
  store: ['errors', 'log'],
  // membership and ownership over the PostgreSQL store; forwarding (console sockets follow their owner)
  cluster: ['store', 'errors', 'log', 'console'],
  api: ['supervisor', 'console', 'store', 'metrics', 'errors', 'log', 'bridge', 'ops', 'redfish', 'cluster'],
  errors: ['ipmi'],
  log: [],
  config: ['errors'],
  workers: ['ipmi', 'session', 'sol', 'bmc', 'bridge', 'errors', 'log', 'ops', 'redfish'],
  // the browser bundle: its own code only (it talks to the service over HTTP)
  web: [],
}
const WIRING = new Set(['cli', 'main'])
// The one file allowed across a layer line: the workaround list re-exported for the main thread.
const SEAMS: Record<string, string> = { 'src/bridge/profile.ts': 'session' }

function layerOf(file: string): string {
  const rel = relative(ROOT, file).split('/')
  if (rel[0] === 'workers') return 'workers'
  const first = rel[1] ?? ''
  return first.replace(/\.(ts|js)$/, '')
}

function files(dir: string): string[] {
  let out: string[] = []
  try {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n)
      out = statSync(p).isDirectory() ? out.concat(files(p)) : p.endsWith('.ts') ? out.concat(p) : out
    }
  } catch {
    // directory not there yet
  }
  return out
}

describe('layering', () => {
  it('every relative import stays within the allowed layers', () => {
    const all = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'workers'))]
    assert.ok(all.length > 10)
    const violations: string[] = []
    for (const f of all) {
      const from = layerOf(f)
      if (WIRING.has(from)) continue
      const allowed = ALLOWED[from]
      if (allowed === undefined) {
        violations.push(`${relative(ROOT, f)}: layer ${from} is not in DESIGN.md's table`)
        continue
      }
      for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
        const to = layerOf(resolve(dirname(f), m[1]!))
        if (to !== from && !allowed.includes(to) && SEAMS[relative(ROOT, f)] !== to) violations.push(`${relative(ROOT, f)} imports ${m[1]} (${from} -> ${to})`)
      }
    }
    assert.deepEqual(violations, [])
  })

  it('only the UDP transport imports node:dgram in the IPMI stack', () => {
    const hits = [...files(join(ROOT, 'src/ipmi')), ...files(join(ROOT, 'src/session')), ...files(join(ROOT, 'src/sol')), ...files(join(ROOT, 'src/bmc'))]
      .filter((f) => /from 'node:dgram'/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f))
    assert.deepEqual(hits, ['src/session/udp-transport.ts'])
  })
})

// SolEngine against a model of ipmi_sim's SOL side over a link that loses
// and duplicates datagrams (seeded, so every failure replays): both byte
// streams must arrive exact and in order, whatever the loss pattern.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock } from '../../../src/session/clock.js'
import { SolEngine } from '../../../src/sol/engine.js'
import { ModelBmc } from './model-bmc.js'

function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function run(seed: number, lossRate: number, dupRate: number, toHost: number, toConsole: number) {
  const clock = new ManualClock()
  const rnd = prng(seed)
  const input = Buffer.from(Array.from({ length: toHost }, () => Math.floor(rnd() * 256)))
  const output = Buffer.from(Array.from({ length: toConsole }, () => Math.floor(rnd() * 256)))
  const delivered: Buffer[] = []
  // Each direction: drop, or deliver after 1 ms (once, or twice when duplicated), in order.
  const link = (to: (p: Buffer) => void) => (p: Buffer): void => {
    if (rnd() < lossRate) return
    const copies = rnd() < dupRate ? 2 : 1
    clock.setTimeout(() => {
      for (let i = 0; i < copies; i++) to(p)
    }, 1)
  }
  const ref: { engine?: SolEngine } = {}
  // A slow serial line (4 bytes/ms drained) so the 32-byte buffer fills and partial accepts happen.
  const bmc = new ModelBmc(clock, link((p) => ref.engine?.receive(p)), 4)
  const failures: string[] = []
  const engine = new SolEngine(clock, 28, {
    send: link((p) => bmc.receive(p)),
    deliver: (d) => delivered.push(d),
    status: () => undefined,
    drain: () => undefined,
    failed: (f) => failures.push(f.message),
  }, { ackTimeoutMs: 600_000, retries: 1000, nackProbeMs: 300 })
  ref.engine = engine
  engine.start()
  let written = 0
  let hostSent = 0
  const got = (): number => delivered.reduce((n, b) => n + b.length, 0)
  const atHost = (): number => bmc.host.reduce((n, b) => n + b.length, 0)
  for (let t = 0; t < 3_600_000 && (got() < toConsole || atHost() < toHost); t += 1) {
    if (written < toHost && engine.bufferedBytes < 4096) {
      const n = Math.min(1 + Math.floor(rnd() * 300), toHost - written)
      engine.write(input.subarray(written, written + n))
      written += n
    }
    if (hostSent < toConsole && bmc.outRoom > 0) {
      const n = Math.min(1 + Math.floor(rnd() * 200), toConsole - hostSent, bmc.outRoom)
      bmc.hostWrites(output.subarray(hostSent, hostSent + n))
      hostSent += n
    }
    clock.advance(1)
    if (failures.length > 0) break
  }
  engine.stop()
  bmc.stop()
  return { failures, toHostOk: Buffer.concat(bmc.host).equals(input), toConsoleOk: Buffer.concat(delivered).equals(output), engine }
}

test('no loss: both directions exact', () => {
  const r = run(1, 0, 0, 5000, 20_000)
  assert.deepEqual(r.failures, [])
  assert.ok(r.toHostOk, 'console -> host')
  assert.ok(r.toConsoleOk, 'host -> console')
  assert.equal(r.engine.stats.retransmits, 0)
})

test('20% loss and 10% duplication each way: both directions exact', () => {
  const r = run(7, 0.2, 0.1, 3000, 10_000)
  assert.deepEqual(r.failures, [])
  assert.ok(r.toHostOk, 'console -> host')
  assert.ok(r.toConsoleOk, 'host -> console')
  assert.ok(r.engine.stats.retransmits > 0)
  assert.ok(r.engine.stats.duplicateBytes > 0)
  assert.ok(r.engine.stats.partialAcks > 0)
  assert.ok(r.engine.stats.nacks > 0)
})

test('property: any seed, loss up to 30%, duplication up to 20%', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0, max: 0.2, noNaN: true }), (seed, loss, dup) => {
      const r = run(seed, loss, dup, 800, 2000)
      return r.failures.length === 0 && r.toHostOk && r.toConsoleOk
    }),
    { numRuns: 25 },
  )
})

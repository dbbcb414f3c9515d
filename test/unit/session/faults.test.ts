// A session under a bad network: loss (retransmits keep commands working),
// duplicated, reordered, replayed, tampered and foreign packets (dropped and
// counted on the side that receives them, never thrown), and the BMC's own
// rqSeq duplicate handling for non-idempotent commands.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeLanRequest } from '../../../src/ipmi/lan-message.js'
import { encodeRmcpPlusPacket, parseRmcpPlusPacket, PayloadType } from '../../../src/ipmi/packet.js'
import { drive, driveToError, rig, watchUnhandled, type Rig } from './harness.js'

watchUnhandled()

async function login(r: Rig): Promise<void> {
  await drive(r.clock, r.session.connect())
}

/** Runs `n` Get Chassis Status requests, `parallel` at a time; returns the completion codes. */
async function commands(r: Rig, n: number, parallel = 1): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () => r.session.request(0x00, 0x01, Buffer.alloc(0)))
    for (const res of await drive(r.clock, Promise.all(batch))) out.push(res.cc)
  }
  return out
}

describe('loss', () => {
  it('30% loss each way: every command still succeeds, through retransmits', async () => {
    const r = rig({ session: { timing: { retries: 12, retransmitMs: 500, backoffMs: 0 } }, link: { seed: 3 } })
    await login(r)
    r.link.faults['a-to-b'].loss = 0.3
    r.link.faults['b-to-a'].loss = 0.3
    const ccs = await commands(r, 60, 3)
    assert.deepEqual(ccs, Array(60).fill(0))
    assert.ok(r.session.stats.retransmits > 10, `retransmits: ${r.session.stats.retransmits}`)
    assert.ok(r.link.counters['a-to-b'].lost + r.link.counters['b-to-a'].lost > 20)
    assert.equal(r.session.state, 'established')
  })

  for (const [backoffMs, tries] of [[undefined, 2], [0, 3]] as const) {
    it(`a request with a 3 s deadline to a BMC gone silent is sent ${tries} times with ${backoffMs === undefined ? "the session's backoff" : 'backoff 0 (the SOL keepalive)'}, then fails at its deadline`, async () => {
      const r = rig()
      await login(r)
      r.link.faults['a-to-b'].loss = 1
      const lost0 = r.link.counters['a-to-b'].lost
      const t0 = r.clock.now()
      const err = await driveToError(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0), { timeoutMs: 3000, ...(backoffMs === undefined ? {} : { backoffMs }) }))
      assert.equal(err.code, 'BMC_UNREACHABLE')
      assert.equal(err.details.attempts, tries)
      assert.equal(r.link.counters['a-to-b'].lost - lost0, tries)
      assert.ok(r.clock.now() - t0 <= 3050, `failed after ${r.clock.now() - t0} ms`)
    })
  }

  it('login itself survives 30% loss (setup restarts from Open Session with a new console ID)', async () => {
    const r = rig({
      bmc: { maxSessions: 16 },
      session: { timing: { retries: 12, retransmitMs: 500, backoffMs: 0, handshakeAttempts: 30, connectTimeoutMs: 120_000 } },
      link: { seed: 11, aToB: { loss: 0.3 }, bToA: { loss: 0.3 } },
    })
    const info = await drive(r.clock, r.session.connect())
    assert.equal(info.privilege, 'administrator')
    assert.deepEqual(await commands(r, 10), Array(10).fill(0))
  })

  it('a lost answer to Chassis Control does not run the action twice (BMC resends its cached answer)', async () => {
    const r = rig()
    await login(r)
    let dropNext = true
    r.link.faults['b-to-a'].tamper = (d) => {
      if (dropNext && parseRmcpPlusPacket(d).payloadType === PayloadType.Ipmi) {
        dropNext = false
        return undefined
      }
      return d
    }
    const res = await drive(r.clock, r.session.request(0x00, 0x02, Buffer.from([0x02]), { idempotent: false }))
    assert.equal(res.cc, 0)
    assert.equal(r.bmc.chassis.actions.powerCycle, 1)
    assert.equal(r.bmc.stats.duplicateRequests, 1)
    assert.equal(r.session.stats.retransmits, 1)
  })

  it('the same with a BMC that answers duplicates with 0xCF: the client reports success, the action ran once', async () => {
    const r = rig({ bmc: { duplicateMode: 'cc-cf' } })
    await login(r)
    let dropNext = true
    r.link.faults['b-to-a'].tamper = (d) => {
      if (dropNext && parseRmcpPlusPacket(d).payloadType === PayloadType.Ipmi) {
        dropNext = false
        return undefined
      }
      return d
    }
    const res = await drive(r.clock, r.session.request(0x00, 0x02, Buffer.from([0x03]), { idempotent: false }))
    assert.equal(res.cc, 0)
    assert.equal(r.bmc.chassis.actions.hardReset, 1)
  })
})

describe('0xCF for an idempotent retransmit', () => {
  it('the lost answer is not resent by a 0xCF BMC: the client retries under a new rqSeq and succeeds', async () => {
    const r = rig({ bmc: { duplicateMode: 'cc-cf' } })
    await login(r)
    let dropNext = true
    r.link.faults['b-to-a'].tamper = (d) => {
      if (dropNext && parseRmcpPlusPacket(d).payloadType === PayloadType.Ipmi) {
        dropNext = false
        return undefined
      }
      return d
    }
    const res = await drive(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)))
    assert.equal(res.cc, 0)
    assert.equal(r.bmc.stats.duplicateRequests, 1, 'the first retransmit got 0xCF')
    assert.equal(r.bmc.stats.commands['Get Device ID'], 2, 'the retry under a new rqSeq ran it again')
  })
})

describe('duplicates, reordering, replays', () => {
  it('every answer duplicated: the copies are dropped by the sequence window and counted', async () => {
    const r = rig()
    await login(r)
    const before = r.session.stats.dropped.sequence
    r.link.faults['b-to-a'].duplicate = 1
    assert.deepEqual(await commands(r, 10), Array(10).fill(0))
    assert.equal(r.session.stats.dropped.sequence - before, 10)
    assert.equal(r.session.state, 'established')
  })

  it('every request duplicated: the BMC drops the copies by its own window and runs each once', async () => {
    const r = rig()
    await login(r)
    r.link.faults['a-to-b'].duplicate = 1
    await drive(r.clock, r.session.request(0x00, 0x02, Buffer.from([0x02]), { idempotent: false }))
    assert.equal(r.bmc.chassis.actions.powerCycle, 1)
    assert.equal(r.bmc.stats.dropped.sequence, 1)
  })

  it('reordered answers inside the window are accepted; nothing is lost', async () => {
    const r = rig({ link: { seed: 5 } })
    await login(r)
    r.link.faults['b-to-a'].reorder = 0.5
    r.link.faults['a-to-b'].reorder = 0.5
    assert.deepEqual(await commands(r, 40, 4), Array(40).fill(0))
    assert.ok(r.link.counters['b-to-a'].reordered > 5)
    assert.equal(r.session.stats.dropped.sequence, 0)
    assert.equal(r.session.stats.dropped.unmatched, 0)
  })

  it('an old answer replayed after the window moved on is dropped (sequence), not delivered', async () => {
    const r = rig()
    await login(r)
    const seen: Buffer[] = []
    r.link.faults['b-to-a'].tamper = (d) => {
      seen.push(Buffer.from(d))
      return d
    }
    await commands(r, 20)
    const before = { ...r.session.stats.dropped }
    r.link.a.inject(seen[0]!) // 20 answers later: far behind the window
    r.link.a.inject(seen[19]!) // the newest: an exact duplicate
    assert.equal(r.session.stats.dropped.sequence - before.sequence, 2)
    assert.deepEqual(await commands(r, 1), [0])
  })
})

describe('foreign and tampered packets', () => {
  it('a packet for an unknown session ID is dropped and counted, never thrown', async () => {
    const r = rig()
    await login(r)
    const forged = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0x12345678, sessionSeq: 9, payload: Buffer.from([1, 2, 3]) })
    r.link.a.inject(forged)
    assert.equal(r.session.stats.dropped.unknown_session, 1)
    assert.equal(r.session.state, 'established')
  })

  it("a late packet of an earlier session reaching a new one is dropped as unknown_session", async () => {
    const old = rig({ seed: 1 })
    await login(old)
    const captured: Buffer[] = []
    old.link.faults['b-to-a'].tamper = (d) => {
      captured.push(Buffer.from(d))
      return d
    }
    await commands(old, 1)
    await drive(old.clock, old.session.close())
    const fresh = rig({ seed: 2 })
    await login(fresh)
    fresh.link.a.inject(captured[0]!)
    assert.equal(fresh.session.stats.dropped.unknown_session, 1)
    // And the closed session counts what still reaches it.
    old.link.a.inject(captured[0]!)
    assert.equal(old.session.state, 'closed')
  })

  it('an answer with a flipped AuthCode bit is dropped (integrity) and the request retransmitted', async () => {
    const r = rig()
    await login(r)
    let tamperNext = true
    r.link.faults['b-to-a'].tamper = (d) => {
      if (!tamperNext) return d
      tamperNext = false
      const t = Buffer.from(d)
      t[t.length - 1]! ^= 0x01
      return t
    }
    assert.deepEqual(await commands(r, 1), [0])
    assert.equal(r.session.stats.dropped.integrity, 1)
    assert.equal(r.session.stats.retransmits, 1)
  })

  it('a request with a flipped ciphertext bit is dropped by the BMC (integrity) and retransmitted', async () => {
    const r = rig()
    await login(r)
    let tamperNext = true
    r.link.faults['a-to-b'].tamper = (d) => {
      if (!tamperNext) return d
      tamperNext = false
      const t = Buffer.from(d)
      t[4 + 12 + 20]! ^= 0x80 // inside the ciphertext, after the IV
      return t
    }
    assert.deepEqual(await commands(r, 1), [0])
    assert.equal(r.bmc.stats.dropped.integrity, 1)
    assert.equal(r.session.stats.retransmits, 1)
  })

  it('an unsigned packet inside a signed session is refused by both sides', async () => {
    const r = rig()
    await login(r)
    const info = r.session.info!
    const lan = encodeLanRequest({ netFn: 0x00, cmd: 0x02, rqSeq: 5, data: Buffer.from([0x00]) })
    const toBmc = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: info.managedSystemSessionId, sessionSeq: 100, payload: lan })
    r.link.b.inject(toBmc)
    assert.equal(r.bmc.stats.dropped.integrity, 1)
    assert.equal(r.bmc.chassis.powerOn, true, 'the forged power-off did not run')
    const toConsole = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: info.remoteConsoleSessionId, sessionSeq: 100, payload: lan })
    r.link.a.inject(toConsole)
    assert.equal(r.session.stats.dropped.integrity, 1)
  })

  it('garbage of every length is dropped as malformed', async () => {
    const r = rig()
    await login(r)
    for (let n = 0; n < 64; n++) r.link.a.inject(Buffer.alloc(n, 0x06))
    assert.equal(r.session.stats.dropped.malformed, 64)
    assert.deepEqual(await commands(r, 1), [0])
  })
})

describe('a BMC whose answers carry a wrong data checksum (QUIRK nochecksumcheck, Supermicro X9)', () => {
  for (const suite of [3, 17]) {
    it(`suite ${suite}: the HMAC-checked answers are taken and counted, the session works`, async () => {
      const r = rig({ bmc: { quirks: ['nochecksumcheck'] }, session: { cipherSuite: suite } })
      await drive(r.clock, r.session.connect())
      const res = await drive(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)))
      assert.equal(res.cc, 0)
      assert.ok(r.session.stats.checksumsForgiven >= 2, `forgiven: ${r.session.stats.checksumsForgiven}`)
      assert.equal(r.session.stats.dropped.malformed, 0)
    })
  }

  it('suite 1 (no integrity): the checksum is the only check, so the answers are dropped and the login fails', async () => {
    const r = rig({ bmc: { quirks: ['nochecksumcheck'], cipherSuites: [1, 3, 17] }, session: { cipherSuite: 1, timing: { connectTimeoutMs: 3000 } } })
    const err = await drive(r.clock, r.session.connect().then(() => undefined, (e: { code: string }) => e))
    assert.equal(err?.code, 'BMC_UNREACHABLE')
    assert.ok(r.session.stats.dropped.malformed > 0)
    assert.equal(r.session.stats.checksumsForgiven, 0)
  })

  it('a plain BMC: nothing is forgiven', async () => {
    const r = rig({ session: { cipherSuite: 3 } })
    await drive(r.clock, r.session.connect())
    await drive(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)))
    assert.equal(r.session.stats.checksumsForgiven, 0)
  })
})

// SimBmc at the packet level: pre-session answers and their framing, the
// RMCP+ status code for each bad Open Session / RAKP message, slots and
// timeouts, the BMC's inbound sequence window, the key derivation checked
// against the published vector, fault injection, and the payload seam SOL
// will use. Packets are built by hand with src/ipmi encoders, so these tests
// do not depend on the session engine (except where a login is a means).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseCipherSuiteRecords } from '../../../src/ipmi/commands/get-channel-cipher-suites.js'
import { decodeLanResponse, encodeLanRequest } from '../../../src/ipmi/lan-message.js'
import { decodeV15Packet, encodeRmcpPlusPacket, encodeV15Packet, parseRmcpPlusPacket, PayloadType } from '../../../src/ipmi/packet.js'
import {
  decodeOpenSessionResponse, decodeRakp2, decodeRakp4, encodeOpenSessionRequest, encodeRakp1, encodeRakp3,
} from '../../../src/ipmi/rakp.js'
import { ManualClock } from '../../../src/session/clock.js'
import { InboundWindow } from '../../../src/sim/inbound-window.js'
import { bmcRakp2Code, bmcRakp4Icv, bmcSessionKeys, bmcSik, expectedRakp3Code, type BmcHandshake } from '../../../src/sim/keys.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import type { SimBmcConfig } from '../../../src/sim/state.js'
import { clientRig, drive, rig, watchUnhandled } from '../session/harness.js'

watchUnhandled()

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

/** Sends one datagram and returns what came back (synchronous without delay faults). */
function exchange(bmc: SimBmc, d: Buffer): Buffer[] {
  const out: Buffer[] = []
  bmc.handleDatagram(d, (b) => out.push(b))
  return out
}

function setup(bmc: SimBmc, type: number, payload: Buffer): Buffer | undefined {
  const [answer] = exchange(bmc, encodeRmcpPlusPacket({ payloadType: type, sessionId: 0, sessionSeq: 0, payload }))
  if (answer === undefined) return undefined
  const p = parseRmcpPlusPacket(answer)
  assert.equal(p.payloadType, type + 1)
  assert.equal(p.sessionId, 0)
  return p.rawPayload
}

const SIDM = 0x11223344
function openSession(bmc: SimBmc, over: Partial<Parameters<typeof encodeOpenSessionRequest>[0]> = {}) {
  const r = setup(bmc, PayloadType.OpenSessionRequest, encodeOpenSessionRequest({ messageTag: 7, requestedPrivilege: 4, remoteConsoleSessionId: SIDM, auth: 1, integrity: 1, confidentiality: 1, ...over }))
  return decodeOpenSessionResponse(r!)
}

function rakp1(bmc: SimBmc, sidc: number, opts: { role?: number; name?: string; random?: Buffer } = {}) {
  return setup(bmc, PayloadType.Rakp1, encodeRakp1({ messageTag: 7, managedSystemSessionId: sidc, consoleRandom: opts.random ?? Buffer.alloc(16, 1), role: opts.role ?? 0x14, username: Buffer.from(opts.name ?? 'admin') }))
}

function newBmc(cfg: SimBmcConfig = {}): { bmc: SimBmc; clock: ManualClock } {
  const clock = new ManualClock()
  return { bmc: new SimBmc(cfg, { clock }), clock }
}

describe('pre-session', () => {
  it('Get Channel Auth Caps in IPMI 1.5 framing, with and without the v2.0 bit', () => {
    const { bmc } = newBmc({ kg: Buffer.from('k') })
    for (const [req, data] of [[0x8e, '01 80 24 02 000000 00'], [0x0e, '01 00 24 00 000000 00']] as const) {
      const [answer] = exchange(bmc, encodeV15Packet(encodeLanRequest({ netFn: 6, cmd: 0x38, rqSeq: 1, data: Buffer.from([req, 4]) })))
      const p = decodeV15Packet(answer!)
      assert.deepEqual([p.authType, p.sessionId, p.sessionSeq], [0, 0, 0])
      const r = decodeLanResponse(p.payload)
      assert.equal(r.cc, 0)
      assert.equal(r.data.toString('hex'), data.replace(/ /g, ''))
    }
    const [bad] = exchange(bmc, encodeV15Packet(encodeLanRequest({ netFn: 6, cmd: 0x38, rqSeq: 1, data: Buffer.from([0x85, 4]) })))
    assert.equal(decodeLanResponse(decodeV15Packet(bad!).payload).cc, 0xcc, 'channel 5 is not ours')
  })

  it('Get Channel Cipher Suites pages 16 record bytes at a time, then a short page', () => {
    const { bmc } = newBmc({ cipherSuites: [0, 1, 2, 3, 15, 16, 17] })
    const pages: Buffer[] = []
    for (let i = 0; i < 4; i++) {
      const [answer] = exchange(bmc, encodeRmcpPlusPacket({ payloadType: 0, sessionId: 0, sessionSeq: 0, payload: encodeLanRequest({ netFn: 6, cmd: 0x54, rqSeq: i, data: Buffer.from([0x0e, 0, 0x80 | i]) }) }))
      const r = decodeLanResponse(parseRmcpPlusPacket(answer!).rawPayload)
      assert.equal(r.data[0], 1)
      pages.push(r.data.subarray(1))
    }
    assert.deepEqual(pages.map((p) => p.length), [16, 16, 3, 0])
    assert.deepEqual(parseCipherSuiteRecords(Buffer.concat(pages)).map((s) => [s.id, s.auth, s.integrity, s.confidentiality]),
      [[0, 0, 0, 0], [1, 1, 0, 0], [2, 1, 1, 0], [3, 1, 1, 1], [15, 3, 0, 0], [16, 3, 4, 0], [17, 3, 4, 1]])
  })

  it('stays silent to the cipher suite query when configured like ipmi_sim, and to other commands without a session', () => {
    const { bmc } = newBmc({ answerCipherSuitesPreSession: false })
    const ask = (cmd: number, data: number[]) => exchange(bmc, encodeRmcpPlusPacket({ payloadType: 0, sessionId: 0, sessionSeq: 0, payload: encodeLanRequest({ netFn: 6, cmd, rqSeq: 1, data: Buffer.from(data) }) }))
    assert.deepEqual(ask(0x54, [0x0e, 0, 0x80]), [])
    assert.deepEqual(ask(0x01, []), [])
    assert.equal(bmc.stats.dropped.presession, 2)
  })
})

describe('Open Session status codes', () => {
  const cases: [string, Partial<Parameters<typeof encodeOpenSessionRequest>[0]>, number][] = [
    ['console session ID 0', { remoteConsoleSessionId: 0 }, 0x02],
    ['HMAC-MD5 authentication (not offered)', { auth: 2 }, 0x04],
    ['MD5-128 integrity (not offered)', { integrity: 3 }, 0x05],
    ['xRC4 confidentiality (not offered)', { confidentiality: 2 }, 0x10],
    ['SHA1 auth with SHA256 integrity (no such suite)', { integrity: 4 }, 0x11],
    ['privilege 6', { requestedPrivilege: 6 }, 0x09],
    ['OEM privilege above the channel limit', { requestedPrivilege: 5 }, 0x0a],
  ]
  for (const [name, over, status] of cases) {
    it(`${name}: status 0x${status.toString(16).padStart(2, '0')}`, () => {
      const { bmc } = newBmc()
      const r = openSession(bmc, over)
      assert.equal(r.status, status)
      assert.equal(r.messageTag, 7)
      assert.equal(bmc.sessions.size, 0)
    })
  }

  it('a short request gets 0x12; a full table gets 0x01; success echoes the algorithms and privilege', () => {
    const { bmc } = newBmc({ maxSessions: 1 })
    assert.equal(decodeOpenSessionResponse(setup(bmc, PayloadType.OpenSessionRequest, Buffer.alloc(20, 1))!).status, 0x12)
    const ok = openSession(bmc, { auth: 3, integrity: 4, confidentiality: 1, requestedPrivilege: 3 })
    assert.deepEqual([ok.status, ok.maxPrivilege, ok.auth, ok.integrity, ok.confidentiality, ok.remoteConsoleSessionId], [0, 3, 3, 4, 1, SIDM])
    assert.notEqual(ok.managedSystemSessionId, 0)
    assert.equal(openSession(bmc).status, 0x01)
  })

  it('an abandoned handshake frees its slot after the setup timeout', () => {
    const { bmc, clock } = newBmc({ maxSessions: 1, setupTimeoutMs: 5000 })
    assert.equal(openSession(bmc).status, 0)
    assert.equal(openSession(bmc).status, 0x01)
    clock.advance(5001)
    assert.equal(openSession(bmc).status, 0)
  })
})

describe('RAKP status codes', () => {
  it('RAKP 1 for an unknown session: 0x02 with console ID 0', () => {
    const { bmc } = newBmc()
    const r = decodeRakp2(rakp1(bmc, 0x999)!)
    assert.deepEqual([r.status, r.remoteConsoleSessionId], [0x02, 0])
  })

  for (const [name, opts, status] of [
    ['unknown user', { name: 'ghost' }, 0x0d],
    ['role 0', { role: 0x10 }, 0x09],
    ['role above the user limit', { name: 'viewer', role: 0x14 }, 0x09],
    ['name+privilege lookup with the wrong level', { role: 0x03 }, 0x0d],
  ] as const) {
    it(`${name}: RAKP 2 status 0x${status.toString(16).padStart(2, '0')}, and the slot is freed`, () => {
      const { bmc } = newBmc({ users: [{ id: 2, name: 'admin', password: 'password' }, { id: 3, name: 'viewer', password: 'v', privilege: 2 }] })
      const o = openSession(bmc)
      const r = decodeRakp2(rakp1(bmc, o.managedSystemSessionId, opts)!)
      assert.deepEqual([r.status, r.remoteConsoleSessionId], [status, SIDM])
      assert.equal(bmc.sessions.size, 0)
    })
  }

  it('a user name of 17 bytes: 0x0C', () => {
    const { bmc } = newBmc()
    const o = openSession(bmc)
    const m = encodeRakp1({ messageTag: 7, managedSystemSessionId: o.managedSystemSessionId, consoleRandom: Buffer.alloc(16), role: 0x14, username: Buffer.alloc(16, 0x61) })
    m[27] = 17
    assert.equal(decodeRakp2(setup(bmc, PayloadType.Rakp1, Buffer.concat([m, Buffer.from('a')]))!).status, 0x0c)
  })

  it('an identical RAKP 1 retransmit gets the identical RAKP 2; a different one gets 0x02', () => {
    const { bmc } = newBmc()
    const o = openSession(bmc)
    const first = rakp1(bmc, o.managedSystemSessionId)!
    assert.equal(decodeRakp2(first).status, 0)
    assert.deepEqual(rakp1(bmc, o.managedSystemSessionId), first)
    assert.equal(decodeRakp2(rakp1(bmc, o.managedSystemSessionId, { random: Buffer.alloc(16, 2) })!).status, 0x02)
  })

  it('RAKP 3 with a wrong code: 0x0F and the slot is freed; a console-reported error: silence', () => {
    const { bmc } = newBmc()
    let o = openSession(bmc)
    rakp1(bmc, o.managedSystemSessionId)
    const wrong = setup(bmc, PayloadType.Rakp3, encodeRakp3({ messageTag: 7, status: 0, managedSystemSessionId: o.managedSystemSessionId, authCode: Buffer.alloc(20) }))
    assert.equal(decodeRakp4(wrong!).status, 0x0f)
    assert.equal(bmc.sessions.size, 0)
    o = openSession(bmc)
    rakp1(bmc, o.managedSystemSessionId)
    assert.equal(setup(bmc, PayloadType.Rakp3, encodeRakp3({ messageTag: 7, status: 0x0f, managedSystemSessionId: o.managedSystemSessionId, authCode: Buffer.alloc(0) })), undefined)
    assert.equal(bmc.sessions.size, 0)
  })

  it('RAKP 3 for a session already active: 0x02, and the session stays (pyghmi: "the BMC already finished")', async () => {
    const r = rig()
    const sent: Buffer[] = []
    r.link.faults['a-to-b'].tamper = (d) => {
      sent.push(Buffer.from(d))
      return d
    }
    await drive(r.clock, r.session.connect())
    const rakp3 = sent.find((d) => d[5] === PayloadType.Rakp3)!
    const [answer] = exchange(r.bmc, rakp3)
    assert.equal(decodeRakp4(parseRmcpPlusPacket(answer!).rawPayload).status, 0x02)
    assert.equal(r.bmc.activeSessions().length, 1)
    assert.equal((await drive(r.clock, r.session.request(6, 1, Buffer.alloc(0)))).cc, 0)
  })
})

describe('key derivation (src/sim/keys.ts) against reference/ipmi-spec.md §2.11', () => {
  for (const [auth, rakp2, sik, k1, k2, rakp3, icv] of [
    [1, '05aa0232b5adffddc6a6930e915029856aab3c10', '512be9a23c1af8fb4a74552953bfa89f9660abf5', '460218dc9d1fb6a7d85930d21e4d6f8807bb80ed',
      '1b27506fd3b231aad956961d9d4a685740a0713a', '02f4807d6f87401a22d7a395068674a846eb57f5', 'fd81e4b2013e05f4ee0ab40e'],
    [3, 'fe00f780e5429324fc08143e1dbc37be1b0474b62ea5d61b989298c7a176be86', '2c6893fca494e81088c2641637a33966fc3ee280b2828295d7e80b5885569293',
      '50f9c4ecb9d3001b55135b8e70037ef496a57b6c660c799006f345ccfb16c559', '4fa0a6ddd508e32a479bc731e4c96f9fbc0fa3bfb99ebb6b7cea3e6ae4c5c0a9',
      '071bec644c3e7cd12ebb3bf800dfab5cb192cb6ae41beea728a3f0a876ca3521', 'f79e8f8cd7f8e1314ba41d1dc2a7e034'],
  ] as const) {
    it(`auth algorithm ${auth}: RAKP 2, SIK, K1, K2, RAKP 3, RAKP 4 ICV`, () => {
      const hs: BmcHandshake = {
        auth, consoleSessionId: h('1d828e92').readUInt32LE(0), bmcSessionId: h('82000000').readUInt32LE(0),
        consoleRandom: h('ee08e19758b8f7ae5fad97dda696fd50'), bmcRandom: h('494585843e868227d4aa50ca546ab3b2'),
        guid: h('a123456789abcdefa123456789abcdef'), role: 0x14, username: Buffer.from('admin'),
      }
      const kuid = Buffer.from('trinity')
      assert.equal(bmcRakp2Code(hs, kuid).toString('hex'), rakp2)
      const s = bmcSik(hs, kuid)
      assert.equal(s.toString('hex'), sik)
      const keys = bmcSessionKeys(auth, s)
      assert.deepEqual([keys.k1.toString('hex'), keys.k2.toString('hex')], [k1, k2])
      assert.equal(expectedRakp3Code(hs, kuid).toString('hex'), rakp3)
      assert.equal(bmcRakp4Icv(hs, s).toString('hex'), icv)
    })
  }
})

describe('the BMC inbound window (15 ahead, 16 behind)', () => {
  it('starts after 0, slides, takes late numbers once, refuses far jumps and 0', () => {
    const w = new InboundWindow()
    assert.deepEqual([16, 0, 15, 15, 1, 1, 14].map((s) => w.accept(s)), [false, false, true, false, true, false, true])
    assert.equal(w.accept(31), false, '16 ahead')
    assert.equal(w.accept(30), true)
    assert.equal(w.accept(14), false, '16 behind, seen before')
    assert.equal(w.accept(13), false, '17 behind')
    assert.equal(w.accept(16), true, '14 behind, never seen')
    assert.equal(w.accept(16), false)
    assert.equal(w.accept(45), true, 'exactly 15 ahead')
    assert.equal(w.accept(29), true, '16 behind, never seen')
  })
})

describe('session lifecycle on the BMC', () => {
  it('an idle session is closed after idleTimeoutMs (event with reason) and its packets are then unknown', async () => {
    const r = rig({ bmc: { idleTimeoutMs: 30_000 }, session: { timing: { retries: 0 } } })
    const closed: string[] = []
    r.bmc.on('session:closed', (_s, why) => closed.push(why))
    await drive(r.clock, r.session.connect())
    r.clock.advance(30_001)
    const err = await drive(r.clock, r.session.request(6, 1, Buffer.alloc(0))).catch((e: { code: string }) => e.code)
    assert.equal(err, 'BMC_UNREACHABLE')
    assert.deepEqual(closed, ['idle-timeout'])
    assert.equal(r.bmc.stats.dropped.unknown_session, 1)
  })

  it("Close Session: unknown ID 0x87; another session's ID needs administrator", async () => {
    const a = rig({ bmc: { users: [{ id: 2, name: 'admin', password: 'password' }, { id: 3, name: 'op', password: 'op', privilege: 3 }] } })
    await drive(a.clock, a.session.connect())
    const le = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(n)
      return b
    }
    assert.equal((await drive(a.clock, a.session.request(6, 0x3c, le(0x1234)))).cc, 0x87)
    const op = clientRig({ on: { bmc: a.bmc, clock: a.clock }, session: { username: 'op', password: 'op' } })
    const opInfo = (await drive(a.clock, op.client.connect())).info!
    assert.equal((await drive(a.clock, op.client.raw(6, 0x3c, le(a.session.info!.managedSystemSessionId)))).cc, 0xd4)
    assert.equal(a.bmc.activeSessions().length, 2)
    assert.equal((await drive(a.clock, a.session.request(6, 0x3c, le(opInfo.managedSystemSessionId)))).cc, 0)
    assert.deepEqual(a.bmc.activeSessions().map((s) => s.bmcSessionId), [a.session.info!.managedSystemSessionId])
  })

  it('Cold Reset: sessions vanish and nothing is answered until the BMC is back', async () => {
    const r = rig({ bmc: { coldResetDowntimeMs: 2000 } })
    await drive(r.clock, r.session.connect())
    assert.equal((await drive(r.clock, r.session.request(6, 2, Buffer.alloc(0)))).cc, 0)
    assert.equal(r.bmc.sessions.size, 0)
    const hello = encodeV15Packet(encodeLanRequest({ netFn: 6, cmd: 0x38, rqSeq: 1, data: Buffer.from([0x8e, 4]) }))
    assert.deepEqual(exchange(r.bmc, hello), [])
    assert.equal(r.bmc.stats.dropped.rebooting, 1)
    r.clock.advance(2000)
    assert.equal(exchange(r.bmc, hello).length, 1)
  })
})

describe('fault injection', () => {
  function traffic(seed: number, dropRatio: number): boolean[] {
    const bmc = new SimBmc({}, { clock: new ManualClock(), faultSeed: seed })
    bmc.setFaults({ dropRatio })
    const hello = encodeV15Packet(encodeLanRequest({ netFn: 6, cmd: 0x38, rqSeq: 1, data: Buffer.from([0x8e, 4]) }))
    return Array.from({ length: 200 }, () => exchange(bmc, hello).length === 1)
  }

  it('drops are decided by the seed: same seed, same pattern; about the configured share', () => {
    const a = traffic(5, 0.3)
    assert.deepEqual(traffic(5, 0.3), a)
    assert.notDeepEqual(traffic(6, 0.3), a)
    const lost = a.filter((ok) => !ok).length / a.length
    assert.ok(lost > 0.4 && lost < 0.6, `lost ${lost}: 1 - 0.7 * 0.7 expected (in and out)`)
  })

  it('delay holds answers on the clock; duplicate sends twice; reorder swaps with the next; hang swallows', () => {
    const { bmc, clock } = newBmc()
    const hello = (seq: number) => encodeV15Packet(encodeLanRequest({ netFn: 6, cmd: 0x38, rqSeq: seq, data: Buffer.from([0x8e, 4]) }))
    const seqOf = (b: Buffer) => decodeLanResponse(decodeV15Packet(b).payload).rqSeq
    const got: number[] = []
    const send = (seq: number) => bmc.handleDatagram(hello(seq), (b) => got.push(seqOf(b)))
    bmc.setFaults({ delayMs: 100 })
    send(1)
    assert.deepEqual(got, [])
    clock.advance(100)
    assert.deepEqual(got, [1])
    bmc.setFaults({ delayMs: 0, duplicateRatio: 1 })
    send(2)
    assert.deepEqual(got, [1, 2, 2])
    bmc.setFaults({ duplicateRatio: 0, reorderRatio: 1 })
    send(3)
    bmc.setFaults({ reorderRatio: 0 })
    send(4)
    assert.deepEqual(got.slice(3), [4, 3])
    bmc.setFaults({ hang: true })
    send(5)
    clock.advance(1000)
    assert.equal(got.length, 5)
    assert.equal(bmc.faultCounters.swallowed, 1)
    bmc.setFaults({ hang: false })
    send(6)
    assert.deepEqual(got.slice(5), [6])
  })
})

describe('payload seam (SOL plugs in here)', () => {
  it('payload type 1 reaches a registered handler, which answers on the session; unsolicited payloads reach the console', async () => {
    const r = rig()
    const seen: string[] = []
    r.bmc.registerPayload(PayloadType.Sol, (payload, ctx) => {
      seen.push(payload.toString())
      ctx.send(Buffer.from(`echo:${payload.toString()}`))
    })
    const sol: string[] = []
    r.session.on('sol', (b) => sol.push(b.toString()))
    await drive(r.clock, r.session.connect())
    r.session.sendSol(Buffer.from('hello'))
    await drive(r.clock, Promise.resolve())
    assert.deepEqual(seen, ['hello'])
    assert.deepEqual(sol, ['echo:hello'])
    const [s] = r.bmc.activeSessions()
    assert.equal(r.bmc.sendPayload(s!.bmcSessionId, PayloadType.Sol, Buffer.from('console output')), true)
    await drive(r.clock, Promise.resolve())
    assert.deepEqual(sol, ['echo:hello', 'console output'])
    assert.equal(r.bmc.sendPayload(0x42, PayloadType.Sol, Buffer.from('x')), false)
  })

  it('without a handler, payload type 1 is dropped and counted; built-in types cannot be replaced', async () => {
    const r = rig()
    await drive(r.clock, r.session.connect())
    r.session.sendSol(Buffer.from('x'))
    await drive(r.clock, Promise.resolve())
    assert.equal(r.bmc.stats.dropped.payload, 1)
    assert.throws(() => r.bmc.registerPayload(0, () => {}), RangeError)
    assert.throws(() => r.bmc.registerPayload(0x12, () => {}), RangeError)
  })
})

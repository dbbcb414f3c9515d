// Property tests (fast-check): random bytes and mutations of valid packets
// (bit flips, byte overwrites, truncation, extension, splices) go to every
// decoder in src/ipmi, including every command codec that
// src/ipmi/commands/index.ts exports, and to the inbound paths of a live
// Session and of SimBmc. The only thing allowed out of a decoder is a value
// or an error with code IPMI_DECODE_ERROR; a Session and a SimBmc must drop
// every such packet and count it, without throwing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as commands from '../../../src/ipmi/commands/index.js'
import type { IpmiCommand } from '../../../src/ipmi/command.js'
import { aesDecrypt, ConfidentialityAlg, IntegrityAlg } from '../../../src/ipmi/crypto.js'
import { decodeLanRequest, decodeLanResponse, encodeLanRequest, encodeLanResponse } from '../../../src/ipmi/lan-message.js'
import {
  decodeV15Packet, encodeRmcpPlusPacket, encodeV15Packet, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType, sessionFormat,
  type SessionCrypto,
} from '../../../src/ipmi/packet.js'
import {
  decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2, decodeRakp3, decodeRakp4,
  encodeOpenSessionRequest, encodeOpenSessionResponse, encodeRakp1, encodeRakp2, encodeRakp3, encodeRakp4,
} from '../../../src/ipmi/rakp.js'
import { drive, rig } from '../session/harness.js'

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const SUITE3: SessionCrypto = { integrity: IntegrityAlg.HmacSha1_96, confidentiality: ConfidentialityAlg.AesCbc128, k1: h('d6157882b3c8259a53dd80929b151a73b107986e'), k2: h('339026a9187d6138cc0f92296638a22bd1a963ae') }
const SUITE17: SessionCrypto = {
  integrity: IntegrityAlg.HmacSha256_128, confidentiality: ConfidentialityAlg.AesCbc128,
  k1: h('50f9c4ecb9d3001b55135b8e70037ef496a57b6c660c799006f345ccfb16c559'), k2: h('4fa0a6ddd508e32a479bc731e4c96f9fbc0fa3bfb99ebb6b7cea3e6ae4c5c0a9'),
}
const SUITE2: SessionCrypto = { integrity: IntegrityAlg.HmacSha1_96, confidentiality: ConfidentialityAlg.None, k1: SUITE3.k1, k2: SUITE3.k2 }

/** Valid packets and payloads of every layer: the seeds that mutations start from. */
function seedCorpus(): Buffer[] {
  const lanRq = encodeLanRequest({ netFn: 0x06, cmd: 0x3b, rqSeq: 1, data: Buffer.from([4]) })
  const lanRs = encodeLanResponse({ netFn: 0x06, cmd: 0x3b, rqSeq: 1 }, 0, Buffer.from([4]))
  const rid = 0xa0a2a3a4
  const setup = [
    encodeOpenSessionRequest({ messageTag: 1, requestedPrivilege: 4, remoteConsoleSessionId: rid, auth: 1, integrity: 1, confidentiality: 1 }),
    encodeOpenSessionResponse({ messageTag: 1, status: 0, maxPrivilege: 4, remoteConsoleSessionId: rid, managedSystemSessionId: 2, auth: 3, integrity: 4, confidentiality: 1 }),
    encodeOpenSessionResponse({ messageTag: 1, status: 4, maxPrivilege: 0, remoteConsoleSessionId: rid, managedSystemSessionId: 0, auth: 0, integrity: 0, confidentiality: 0 }),
    encodeRakp1({ messageTag: 1, managedSystemSessionId: 2, consoleRandom: Buffer.alloc(16, 7), role: 0x14, username: Buffer.from('admin') }),
    encodeRakp2({ messageTag: 1, status: 0, remoteConsoleSessionId: rid, bmcRandom: Buffer.alloc(16, 8), bmcGuid: Buffer.alloc(16, 9), authCode: Buffer.alloc(20, 1) }),
    encodeRakp3({ messageTag: 1, status: 0, managedSystemSessionId: 2, authCode: Buffer.alloc(32, 2) }),
    encodeRakp4({ messageTag: 1, status: 0, remoteConsoleSessionId: rid, icv: Buffer.alloc(12, 3) }),
  ]
  const framed = [
    encodeV15Packet(encodeLanRequest({ netFn: 0x06, cmd: 0x38, rqSeq: 1, data: Buffer.from([0x8e, 0x04]) })),
    encodeV15Packet(encodeLanResponse({ netFn: 0x06, cmd: 0x38, rqSeq: 1 }, 0, h('01 80 04 02 000000 00'))),
    ...setup.map((payload, i) => encodeRmcpPlusPacket({ payloadType: PayloadType.OpenSessionRequest + i, sessionId: 0, sessionSeq: 0, payload })),
    encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sessionSeq: 0, payload: lanRs }),
    encodeRmcpPlusPacket({ payloadType: PayloadType.OemExplicit, sessionId: 0, sessionSeq: 0, payload: Buffer.alloc(10, 0x33) }),
    ...[SUITE3, SUITE17, SUITE2].flatMap((crypto) => [lanRq, lanRs, Buffer.alloc(0)].map((payload) =>
      encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 2, sessionSeq: 3, payload, crypto }))),
    // ipmitool -> ipmi_sim capture (reference §2.12): Set Session Privilege, suite 3.
    h('0600ff07 06c0 02000000 03000000 2000 844ba81ed61c7cda31a117e326be1eb2 720a5b68250d1c7d8d3ad8f95bef77d7 ffff0207 3b33b56be214153ccadf53ca'),
  ]
  const data = [h('01 c0 00 00 40 80 c0 01 01 40 80 c0 02 01 41 80 c0'), h('0000000020000040813effff'), h('0105 0004000000'), h('20 01 01 23 02 80 000000 0100 00000000')]
  return [lanRq, lanRs, ...setup, ...framed, ...data]
}

type Decoder = (b: Buffer) => unknown

function decoders(): [string, Decoder][] {
  const list: [string, Decoder][] = [
    ['sessionFormat', sessionFormat],
    ['decodeV15Packet', decodeV15Packet],
    // Parsed once, then opened with no keys and with each suite's keys (open needs a parse first anyway).
    ['parse + open (no keys, suites 2, 3, 17)', (b) => {
      const p = parseRmcpPlusPacket(b)
      for (const keys of [undefined, SUITE2, SUITE3, SUITE17]) {
        try {
          openRmcpPlusPacket(p, keys)
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'IPMI_DECODE_ERROR') throw e
        }
      }
    }],
    ['decodeLanResponse', decodeLanResponse],
    ['decodeLanRequest', decodeLanRequest],
    ['decodeOpenSessionRequest', decodeOpenSessionRequest],
    ['decodeOpenSessionResponse', decodeOpenSessionResponse],
    ['decodeRakp1', decodeRakp1],
    ['decodeRakp2', decodeRakp2],
    ['decodeRakp3', decodeRakp3],
    ['decodeRakp4', decodeRakp4],
    ['aesDecrypt', (b) => aesDecrypt(SUITE3.k2, b)],
  ]
  for (const [name, v] of Object.entries(commands)) {
    if (typeof v === 'object' && v !== null && 'decode' in v && 'netFn' in v) {
      const c = v as IpmiCommand<unknown, unknown>
      list.push([`${name}.decode`, (b) => c.decode(b, 0)])
    } else if (typeof v === 'function' && /^(decode|parse)/.test(name)) {
      list.push([name, v as Decoder])
    }
  }
  return list
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate(seed: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(seed)
  for (const m of ms) {
    const at = b.length === 0 ? 0 : ('at' in m ? m.at % (b.length + 1) : 0)
    if (m.kind === 'flip' && at < b.length) b[at]! ^= 1 << m.bit
    else if (m.kind === 'set' && at < b.length) b[at] = m.value
    else if (m.kind === 'truncate') b = b.subarray(0, at)
    else if (m.kind === 'extend') b = Buffer.concat([b, m.bytes])
    else if (m.kind === 'splice') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)])
  }
  return b
}

/** Random bytes, or a valid packet put through 1-4 mutations (most runs: mutations find deeper paths). */
function packets(corpus: Buffer[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => mutate(s, ms)) },
  )
}

const RUNS = 100_000

describe('decoders under random and mutated input', () => {
  it(`${RUNS} packets through every decoder: a value or IPMI_DECODE_ERROR, nothing else`, (t) => {
    const corpus = seedCorpus()
    const all = decoders()
    assert.ok(all.length >= 25, `found ${all.length} decoders`)
    // Every seed decodes cleanly with at least one decoder (the corpus is valid, not noise).
    for (const s of corpus) assert.ok(all.some(([, d]) => { try { d(s); return true } catch { return false } }), s.toString('hex'))
    const escaped = new Map<string, string>()
    // Most inputs make most decoders throw; capturing millions of stack traces is most of the cost.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    t.after(() => {
      Error.stackTraceLimit = stackTraceLimit
    })
    fc.assert(fc.property(packets(corpus), (b) => {
      for (const [name, d] of all) {
        try {
          d(b)
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'IPMI_DECODE_ERROR' && !escaped.has(name)) escaped.set(name, `${String(e)} on ${b.toString('hex')}`)
        }
      }
    }), { numRuns: RUNS, seed: 20240601 })
    assert.deepEqual(Object.fromEntries(escaped), {})
  })
})

describe('inbound paths under random and mutated packets', () => {
  for (const suite of [3, 17]) {
    it(`suite ${suite}: a live Session drops and counts every bad packet; SimBmc does too; both keep working`, async () => {
      const r = rig({ session: { cipherSuite: suite } })
      const captured: Buffer[] = []
      r.link.faults['b-to-a'].tamper = (d) => {
        captured.push(Buffer.from(d))
        return d
      }
      const toBmc: Buffer[] = []
      r.link.faults['a-to-b'].tamper = (d) => {
        toBmc.push(Buffer.from(d))
        return d
      }
      await drive(r.clock, r.session.connect())
      await drive(r.clock, r.session.request(0x00, 0x01, Buffer.alloc(0)))
      const corpus = [...captured, ...toBmc, ...seedCorpus()]
      const dropsBefore = Object.values(r.session.stats.dropped).reduce((a, b) => a + b, 0)
      const received = r.session.stats.packetsReceived
      let injected = 0
      fc.assert(fc.property(packets(corpus), (b) => {
        r.link.a.inject(b) // Session.onDatagram runs synchronously here: a throw would fail the property
        r.bmc.handleDatagram(b, () => {})
        injected++
      }), { numRuns: RUNS / 4, seed: suite })
      const s = r.session.stats
      assert.equal(s.packetsReceived - received, injected)
      assert.equal(Object.values(s.dropped).reduce((a, b) => a + b, 0) - dropsBefore, injected, JSON.stringify(s.dropped))
      assert.equal(r.bmc.lastInternalError, undefined)
      assert.equal(r.bmc.stats.dropped.internal, 0)
      assert.equal(r.session.state, 'established')
      // Still usable: the window was not pushed by anything unauthenticated.
      assert.equal((await drive(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)))).cc, 0)
    })
  }
})

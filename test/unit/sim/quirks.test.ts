// The quirk simulator's side of each quirk, with no sockets: opensesspriv
// hashes the Open Session privilege (checked against an HMAC computed here),
// authcap clears the non-null user name bit, integritycheckvalue fills
// RAKP 4's empty suite-0 ICV, nochecksumcheck spoils checksum 2, solstatus
// and solchannelsupport make their command C1h, cipher-suites-silent drops
// Get Channel Cipher Suites before a session, soldeactivate-noop ignores
// other sessions' Deactivate, solpayloadsize/solport/
// solport-endian change what Activate Payload reports, solactive-stale holds
// SOL until Deactivate Payload, suite17-only/suite3-only refuse the other
// suite at Open Session; a BMC without quirks answers as before. Also the
// --quirk spec parser, --list-quirks, and docs/quirks.md naming every quirk.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { ActivatePayload, DeactivatePayload } from '../../../src/ipmi/commands/index.js'
import { decodeLanResponse, encodeLanRequest, encodeLanResponse } from '../../../src/ipmi/lan-message.js'
import { encodeRmcpPlusPacket, parseRmcpPlusPacket, PayloadType } from '../../../src/ipmi/packet.js'
import { decodeOpenSessionResponse, decodeRakp2, decodeRakp4, encodeOpenSessionRequest, encodeRakp1, encodeRakp3 } from '../../../src/ipmi/rakp.js'
import { simCommand } from '../../../src/cli/sim.js'
import { ManualClock } from '../../../src/session/clock.js'
import { SolConsole } from '../../../src/sol/console.js'
import { GetChannelAuthCapabilitiesHandler } from '../../../src/sim/app-commands.js'
import { expectedRakp3Code } from '../../../src/sim/keys.js'
import { SetSessionPrivilegeLevelHandler } from '../../../src/sim/app-commands.js'
import type { SimSession } from '../../../src/sim/sessions.js'
import {
  COLD_RESET_AFTER_SOL_MS, CONSOLE_COLD_RESET_DOWNTIME_MS, SETPRIV_REFUSED_CC, SHORT_IDLE_TIMEOUT_MS, storedPassword, stuckOnInput, wrongIntegrityPad,
  BOGUS_RAKP4_ICV_LENGTH, DEAD_ALTERNATE_SOL_PORT, parseQuirkSpec, QUIRK_NAMES, QUIRKS, quirksByIndex, responseChecksum, swap16, validateQuirks, deafToSolInput,
  type QuirkName,
} from '../../../src/sim/quirks.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import { attachSol } from '../../../src/sim/sol.js'
import { clientRig, drive, driveToError, watchUnhandled } from '../session/harness.js'

watchUnhandled()

const SIDM = 0x0a0b0c0d
const RM = Buffer.alloc(16, 0x5a)

function setup(bmc: SimBmc, type: number, payload: Buffer): Buffer {
  const out: Buffer[] = []
  bmc.handleDatagram(encodeRmcpPlusPacket({ payloadType: type, sessionId: 0, sessionSeq: 0, payload }), (b) => out.push(b))
  assert.equal(out.length, 1, 'one answer')
  return parseRmcpPlusPacket(out[0]!).rawPayload
}

/** Open Session (suite 3 algorithms unless told) with this requested privilege; RAKP 1 with this role byte. */
function handshake(bmc: SimBmc, openPriv: number, role: number) {
  const os = decodeOpenSessionResponse(setup(bmc, PayloadType.OpenSessionRequest, encodeOpenSessionRequest({
    messageTag: 1, requestedPrivilege: openPriv, remoteConsoleSessionId: SIDM, auth: 1, integrity: 1, confidentiality: 1,
  })))
  assert.equal(os.status, 0)
  const r2 = decodeRakp2(setup(bmc, PayloadType.Rakp1, encodeRakp1({
    messageTag: 2, managedSystemSessionId: os.managedSystemSessionId, consoleRandom: RM, role, username: Buffer.from('admin'),
  })))
  assert.equal(r2.status, 0)
  return { sidc: os.managedSystemSessionId, r2 }
}

/** RAKP 2 HMAC-SHA1 as IPMI v2.0 §13.31 defines it, computed here from the spec, for the role byte given. */
function rakp2Code(sidc: number, rc: Buffer, guid: Buffer, role: number): Buffer {
  const le = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n >>> 0)
    return b
  }
  return createHmac('sha1', 'password').update(Buffer.concat([le(SIDM), le(sidc), RM, rc, guid, Buffer.from([role, 5]), Buffer.from('admin')])).digest()
}

function bmcWith(quirks: QuirkName[]): SimBmc {
  return new SimBmc({ quirks }, { clock: new ManualClock() })
}

describe('quirk list and parsing', () => {
  it('names are unique; only FreeIPMI flags that exist are named; every quirk has a source and description', () => {
    assert.equal(new Set(QUIRK_NAMES).size, QUIRKS.length)
    for (const q of QUIRKS) {
      assert.ok(q.source.length > 10 && q.description.length > 10, q.name)
      if (q.freeipmiFlag !== undefined) assert.ok(['opensesspriv', 'authcap', 'nochecksumcheck', 'integritycheckvalue', 'solpayloadsize', 'solport', 'solstatus', 'solchannelsupport', 'serialalertsdeferred', 'solpacketseq'].includes(q.freeipmiFlag), q.name)
    }
  })

  it('parses INDEX[-LAST]:NAME[,NAME] like --fault, merges repeats, refuses unknown names, ranges and contradictions', () => {
    assert.deepEqual(parseQuirkSpec('2-3:solport,authcap', 4), [{ index: 2, quirks: ['solport', 'authcap'] }, { index: 3, quirks: ['solport', 'authcap'] }])
    const merged = quirksByIndex([...parseQuirkSpec('0:authcap', 2), ...parseQuirkSpec('0-1:opensesspriv,authcap', 2)])
    assert.deepEqual([...merged], [[0, ['authcap', 'opensesspriv']], [1, ['opensesspriv', 'authcap']]])
    assert.throws(() => parseQuirkSpec('0:nosuch', 1), /quirk "nosuch" is not one of opensesspriv, authcap/)
    assert.throws(() => parseQuirkSpec('1:authcap', 1), /outside 0\.\.0/)
    assert.throws(() => parseQuirkSpec('authcap', 1), /not INDEX\[-LAST\]:NAME/)
    assert.throws(() => validateQuirks(['suite3-only', 'suite17-only']), /cannot both be set/)
    assert.throws(() => new SimBmc({ quirks: ['nosuch' as QuirkName] }), RangeError)
  })

  it('bmcvisor sim --list-quirks prints every quirk with its source; a bad --quirk exits 2 with VALIDATION_FAILED', async () => {
    const sink = () => {
      let text = ''
      return { stream: new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb() } }), text: () => text }
    }
    const out = sink()
    const err = sink()
    assert.equal(await simCommand(['--list-quirks'], { stdout: out.stream, stderr: err.stream }), 0)
    const lines = out.text().trim().split('\n')
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), QUIRK_NAMES)
    for (const q of QUIRKS) assert.ok(lines.some((l) => l.startsWith(q.name) && l.includes(q.source)), q.name)
    assert.equal(await simCommand(['--count', '2', '--quirk', '0:bogus'], { stdout: out.stream, stderr: err.stream }), 2)
    assert.match(err.text(), /VALIDATION_FAILED: quirk "bogus" is not one of/)
    for (const [flag, value] of [['--idle-timeout-ms', '50'], ['--cold-reset-after-ms', '3600001'], ['--cold-reset-downtime-ms', 'soon']]) {
      assert.equal(await simCommand(['--count', '1', flag!, value!], { stdout: out.stream, stderr: err.stream }), 2, flag)
      assert.match(err.text(), new RegExp(`VALIDATION_FAILED: ${flag} must be an integer`))
    }
  })

  it('docs/quirks.md has a table row for every quirk', () => {
    const doc = readFileSync(new URL('../../../docs/quirks.md', import.meta.url), 'utf8')
    for (const name of QUIRK_NAMES) assert.match(doc, new RegExp(`^\\| \`${name}\` \\|`, 'm'), name)
  })
})

describe('opensesspriv', () => {
  it('RAKP 2 is keyed with the Open Session privilege (0 = highest) in ROLEm, lookup bit kept', () => {
    const bmc = bmcWith(['opensesspriv'])
    const { sidc, r2 } = handshake(bmc, 0, 0x14)
    assert.deepEqual(r2.authCode, rakp2Code(sidc, r2.bmcRandom, r2.bmcGuid, 0x10))
    assert.notDeepEqual(r2.authCode, rakp2Code(sidc, r2.bmcRandom, r2.bmcGuid, 0x14))
  })

  it('with the same privilege in Open Session and RAKP 1 (FreeIPMI -W opensesspriv) the code is the compliant one', () => {
    const { sidc, r2 } = handshake(bmcWith(['opensesspriv']), 4, 0x14)
    assert.deepEqual(r2.authCode, rakp2Code(sidc, r2.bmcRandom, r2.bmcGuid, 0x14))
  })

  it('a BMC without the quirk hashes the RAKP 1 role byte whatever Open Session asked', () => {
    const { sidc, r2 } = handshake(bmcWith([]), 0, 0x14)
    assert.deepEqual(r2.authCode, rakp2Code(sidc, r2.bmcRandom, r2.bmcGuid, 0x14))
  })
})

describe('integritycheckvalue', () => {
  const login = (bmc: SimBmc, suite: 0 | 3) => {
    const algs = suite === 0 ? 0 : 1
    const os = decodeOpenSessionResponse(setup(bmc, PayloadType.OpenSessionRequest, encodeOpenSessionRequest({
      messageTag: 1, requestedPrivilege: 4, remoteConsoleSessionId: SIDM, auth: algs, integrity: algs, confidentiality: algs,
    })))
    assert.equal(os.status, 0)
    const r2 = decodeRakp2(setup(bmc, PayloadType.Rakp1, encodeRakp1({
      messageTag: 2, managedSystemSessionId: os.managedSystemSessionId, consoleRandom: RM, role: 0x14, username: Buffer.from('admin'),
    })))
    const authCode = suite === 0 ? Buffer.alloc(0) : expectedRakp3Code({
      auth: 1, consoleSessionId: SIDM, bmcSessionId: os.managedSystemSessionId, consoleRandom: RM, bmcRandom: r2.bmcRandom, guid: r2.bmcGuid, role: 0x14, username: Buffer.from('admin'),
    }, Buffer.from('password'))
    return decodeRakp4(setup(bmc, PayloadType.Rakp3, encodeRakp3({ messageTag: 3, status: 0, managedSystemSessionId: os.managedSystemSessionId, authCode })))
  }
  it('suite 0 is offered, and its RAKP 4 carries 12 bytes where the spec wants none; suite 3 is untouched', () => {
    const quirky = bmcWith(['integritycheckvalue'])
    assert.deepEqual(quirky.config.cipherSuites, [3, 17, 0])
    const r4 = login(quirky, 0)
    assert.equal(r4.status, 0)
    assert.equal(r4.icv.length, BOGUS_RAKP4_ICV_LENGTH)
    assert.equal(login(quirky, 3).icv.length, 12) // HMAC-SHA1-96 of the SIK, as on any BMC
    assert.equal(login(new SimBmc({ cipherSuites: [0, 3] }, { clock: new ManualClock() }), 0).icv.length, 0)
  })
})

describe('authcap', () => {
  const caps = (bmc: SimBmc) => {
    const r = GetChannelAuthCapabilitiesHandler.handle(Buffer.from([0x8e, 0x04]), bmc, undefined)
    assert.equal(r.cc, 0)
    return r.data!
  }
  it('byte 3 b2 (non-null user names) is clear although user admin logs in; the rest as a compliant BMC', () => {
    const plain = caps(bmcWith([]))
    const quirky = caps(bmcWith(['authcap']))
    assert.equal(plain[2]! & 0x04, 0x04)
    assert.equal(quirky[2]! & 0x04, 0)
    assert.deepEqual({ ...quirky, 2: 0 }, { ...plain, 2: 0 })
  })
})

describe('Activate Payload quirks', () => {
  async function activate(quirks: QuirkName[], port = 623) {
    const r = clientRig({ bmc: { quirks } })
    const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 }, payloadPort: port })
    try {
      return await drive(r.clock, r.client.run(ActivatePayload, { instance: 1, sol: { encrypt: true, authenticate: true } }))
    } finally {
      sol.dispose()
    }
  }

  it('a compliant BMC reports 204/204 and its port', async () => {
    const a = await activate([])
    assert.deepEqual([a.inboundPayloadSize, a.outboundPayloadSize, a.port], [204, 204, 623])
  })

  it('solpayloadsize: both sizes byte-swapped, outside the 5..259 FreeIPMI accepts', async () => {
    const a = await activate(['solpayloadsize'])
    assert.deepEqual([a.inboundPayloadSize, a.outboundPayloadSize], [swap16(204), swap16(204)])
    assert.ok(a.inboundPayloadSize > 259 && a.outboundPayloadSize > 259)
  })

  it('solport: a dead alternate port instead of the real one (and never the real one)', async () => {
    assert.equal((await activate(['solport'])).port, DEAD_ALTERNATE_SOL_PORT)
    assert.equal((await activate(['solport'], DEAD_ALTERNATE_SOL_PORT)).port, DEAD_ALTERNATE_SOL_PORT + 1)
  })

  it('solport-endian: 623 reported as 28418', async () => {
    assert.equal((await activate(['solport-endian'])).port, 28418)
  })
})

describe('solstatus and solchannelsupport', () => {
  it('each makes its one command answer C1h; the other and a compliant BMC answer normally', async () => {
    const cc = async (quirks: QuirkName[], netFn: number, cmd: number, data: number[]) => {
      const r = clientRig({ bmc: { quirks } })
      const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 } })
      try {
        const res = await drive(r.clock, r.client.raw(netFn, cmd, Buffer.from(data)))
        return res.cc
      } finally {
        sol.dispose()
      }
    }
    const status = (q: QuirkName[]) => cc(q, 0x06, 0x4a, [0x01])
    const support = (q: QuirkName[]) => cc(q, 0x06, 0x4e, [0x0e])
    assert.deepEqual(await Promise.all([status(['solstatus']), support(['solstatus'])]), [0xc1, 0])
    assert.deepEqual(await Promise.all([status(['solchannelsupport']), support(['solchannelsupport'])]), [0, 0xc1])
    assert.deepEqual(await Promise.all([status([]), support([])]), [0, 0])
  })
})

describe('nochecksumcheck', () => {
  it('checksum 2 of an in-session answer is off by one; header and data are as a compliant BMC sends them', () => {
    const lan = encodeLanResponse({ netFn: 0x06, cmd: 0x01, rqSeq: 3 }, 0, Buffer.from([1, 2, 3]))
    const bad = responseChecksum(new Set(['nochecksumcheck']), lan)
    assert.deepEqual(bad.subarray(0, -1), lan.subarray(0, -1))
    assert.equal(bad.at(-1), (lan.at(-1)! + 1) & 0xff)
    assert.throws(() => decodeLanResponse(bad), /checksum/i)
    assert.equal(responseChecksum(new Set(), lan), lan)
  })
})

describe('serialalertsdeferred', () => {
  it('only an activation with serial alerts "fail" (aux b3:2 = 00b) is deaf to input, and only with the quirk', () => {
    const q = new Set<QuirkName>(['serialalertsdeferred'])
    assert.deepEqual([0x00, 0x04, 0x08, 0xc0, 0xc4].map((aux) => deafToSolInput(q, aux)), [true, false, false, true, false])
    assert.equal(deafToSolInput(new Set(), 0x00), false)
  })

  it('a deaf activation still takes ACKs for its output but drops typed characters', async () => {
    const r = clientRig({ bmc: { quirks: ['serialalertsdeferred'] } })
    const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 } })
    const con = SolConsole.forClient(r.client, { clock: r.clock, livenessTimeoutMs: 6000 })
    await drive(r.clock, con.open({}))
    const before = sol.linkStats().bytesReceived
    con.write(Buffer.from('x'))
    for (let i = 0; i < 40; i++) {
      r.clock.advance(50)
      await new Promise((resolve) => setImmediate(resolve))
    }
    // Our SolConsole asks for "deferred" alerts, so the quirk does not bite it: the byte arrives.
    assert.equal(sol.linkStats().bytesReceived, before + 1)
    sol.dispose()
  })
})

describe('solactive-stale', () => {
  it('Activate answers 0x80 at once; after Deactivate Payload the next Activate succeeds', async () => {
    const r = clientRig({ bmc: { quirks: ['solactive-stale'] } })
    const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 } })
    const busy = await driveToError(r.clock, r.client.run(ActivatePayload, { instance: 1 }))
    assert.equal(busy.details.completionCode, 0x80)
    assert.notEqual(sol.ownerSessionId(), 0)
    await drive(r.clock, r.client.run(DeactivatePayload, { instance: 1 }))
    await drive(r.clock, r.client.run(ActivatePayload, { instance: 1 }))
    assert.equal(sol.active, true)
    sol.dispose()
  })
})

describe('soldeactivate-noop', () => {
  it('another session\'s Deactivate answers 0x80 and SOL stays with its holder; the holder itself can deactivate', async () => {
    const r = clientRig({ bmc: { quirks: ['soldeactivate-noop'] } })
    const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 } })
    await drive(r.clock, r.client.run(ActivatePayload, { instance: 1 }))
    const holder = sol.ownerSessionId()
    const other = clientRig({ on: { bmc: r.bmc, clock: r.clock } }).client
    const refused = await driveToError(r.clock, other.run(DeactivatePayload, { instance: 1 }))
    assert.equal(refused.details.completionCode, 0x80)
    assert.equal(sol.ownerSessionId(), holder)
    assert.equal((await driveToError(r.clock, other.run(ActivatePayload, { instance: 1 }))).details.completionCode, 0x80)
    await drive(r.clock, r.client.run(DeactivatePayload, { instance: 1 }))
    assert.equal(sol.active, false)
    sol.dispose()
  })
})

describe('cipher-suites-silent', () => {
  it('Get Channel Cipher Suites before a session gets no answer (dropped as pre-session); a compliant BMC answers it', () => {
    const ask = (bmc: SimBmc) => {
      const out: Buffer[] = []
      const req = encodeLanRequest({ netFn: 0x06, cmd: 0x54, rqSeq: 1, data: Buffer.from([0x0e, 0x00, 0x80]) })
      bmc.handleDatagram(encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sessionSeq: 0, payload: req }), (b) => out.push(b))
      return out.length
    }
    const quiet = new SimBmc({ quirks: ['cipher-suites-silent'], answerCipherSuitesPreSession: true }, { clock: new ManualClock() })
    assert.equal(ask(quiet), 0)
    assert.equal(quiet.stats.dropped.presession, 1)
    assert.equal(ask(bmcWith([])), 1)
  })
})

describe('suite17-only and suite3-only', () => {
  const open = (bmc: SimBmc, suite: 3 | 17) => decodeOpenSessionResponse(setup(bmc, PayloadType.OpenSessionRequest, encodeOpenSessionRequest({
    messageTag: 1, requestedPrivilege: 4, remoteConsoleSessionId: SIDM, auth: suite === 3 ? 1 : 3, integrity: suite === 3 ? 1 : 4, confidentiality: 1,
  }))).status
  it('each offers its one suite and refuses the other at Open Session (0x04 invalid authentication algorithm)', () => {
    const s17 = bmcWith(['suite17-only'])
    const s3 = bmcWith(['suite3-only'])
    assert.deepEqual([s17.config.cipherSuites, s3.config.cipherSuites], [[17], [3]])
    assert.deepEqual([open(s17, 3), open(s17, 17), open(s3, 3), open(s3, 17)], [0x04, 0, 0, 0x04])
    assert.deepEqual(bmcWith([]).config.cipherSuites, [3, 17])
  })
})

describe('integritypad', () => {
  it('the pad is counted without pad length and next header (always 2 bytes off), its length byte says so, the AuthCode is over what is sent', () => {
    const k1 = Buffer.alloc(20, 3)
    for (const len of [1, 2, 3, 4, 5, 6]) {
      const good = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 5, sessionSeq: 1, payload: Buffer.alloc(len, 9), crypto: { integrity: 1, confidentiality: 0, k1, k2: Buffer.alloc(20) } })
      const odd = wrongIntegrityPad(good, 12, (signed) => createHmac('sha1', k1).update(signed).digest().subarray(0, 12))
      const pad = (4 - ((12 + len) % 4)) % 4
      assert.equal(odd.length, 4 + 12 + len + pad + 2 + 12)
      assert.equal(odd[4 + 12 + len + pad], pad)
      assert.equal(Math.abs(odd.length - good.length), 2)
      assert.throws(() => parseRmcpPlusPacket(odd))
      assert.deepEqual(odd.subarray(-12), createHmac('sha1', k1).update(odd.subarray(4, -12)).digest().subarray(0, 12))
    }
    const unsigned = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sessionSeq: 0, payload: Buffer.alloc(3) })
    assert.equal(wrongIntegrityPad(unsigned, 12, () => Buffer.alloc(12)), unsigned)
  })
})

describe('setpriv-refused', () => {
  const session = () => ({ privilege: 2, maxPrivilege: 4 }) as SimSession
  it('a raise answers 81h but takes effect; asking for the present level (0) or for User answers 00h', () => {
    const bmc = bmcWith(['setpriv-refused'])
    const s = session()
    assert.equal(SetSessionPrivilegeLevelHandler.handle(Buffer.from([4]), bmc, s).cc, SETPRIV_REFUSED_CC)
    assert.equal(s.privilege, 4)
    assert.deepEqual(SetSessionPrivilegeLevelHandler.handle(Buffer.from([0]), bmc, s), { cc: 0, data: Buffer.from([4]) })
    assert.equal(SetSessionPrivilegeLevelHandler.handle(Buffer.from([2]), bmc, s).cc, 0)
  })
  it('without the quirk the raise answers 00h with the level', () => {
    const s = session()
    assert.deepEqual(SetSessionPrivilegeLevelHandler.handle(Buffer.from([4]), bmcWith([]), s), { cc: 0, data: Buffer.from([4]) })
  })
})

describe('sessiontable-full, idletimeout-short, coldreset-console: timing', () => {
  it('every slot starts held; Open Session answers 01h until the leaked sessions pass the idle timeout', () => {
    const clock = new ManualClock()
    const bmc = new SimBmc({ quirks: ['sessiontable-full'], idleTimeoutMs: 5000 }, { clock })
    assert.equal(bmc.sessions.size, bmc.config.maxSessions)
    const open = () => decodeOpenSessionResponse(setup(bmc, PayloadType.OpenSessionRequest, encodeOpenSessionRequest({
      messageTag: 1, requestedPrivilege: 4, remoteConsoleSessionId: SIDM, auth: 1, integrity: 1, confidentiality: 1,
    }))).status
    assert.equal(open(), 0x01)
    clock.advance(5001)
    assert.equal(open(), 0)
    assert.equal(bmcWith([]).sessions.size, 0)
  })

  it('idletimeout-short caps the idle timeout at 10 s and keeps a shorter configured one; coldreset-console defaults to 10 s after SOL, 60 s down', () => {
    assert.equal(bmcWith(['idletimeout-short']).config.idleTimeoutMs, SHORT_IDLE_TIMEOUT_MS)
    assert.equal(new SimBmc({ quirks: ['idletimeout-short'], idleTimeoutMs: 1500 }).config.idleTimeoutMs, 1500)
    assert.equal(bmcWith([]).config.idleTimeoutMs, 60_000)
    const c = bmcWith(['coldreset-console']).config
    assert.deepEqual([c.coldResetAfterSolMs, c.coldResetDowntimeMs], [COLD_RESET_AFTER_SOL_MS, CONSOLE_COLD_RESET_DOWNTIME_MS])
    assert.equal(bmcWith([]).config.coldResetDowntimeMs, 2000)
  })

  it('coldreset-console resets once, coldResetAfterSolMs after the first activation, and answers nothing for the downtime', async () => {
    const r = clientRig({ bmc: { quirks: ['coldreset-console'], coldResetAfterSolMs: 1000, coldResetDowntimeMs: 3000 } })
    const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: 0 } })
    await drive(r.clock, r.client.run(ActivatePayload, { instance: 1 }))
    for (let i = 0; i < 30 && r.bmc.stats.coldResets === 0; i++) r.clock.advance(50)
    assert.equal(r.bmc.stats.coldResets, 1)
    assert.equal(r.bmc.sessions.size, 0)
    assert.equal(sol.active, false)
    r.bmc.handleDatagram(Buffer.from([6, 0, 0xff, 7]), () => assert.fail('answered while resetting'))
    assert.equal(r.bmc.stats.dropped.rebooting, 1)
    sol.dispose()
  })
})

describe('solpacketseq', () => {
  it('sticks on the first input packet with data and every resend of its number; another number unsticks it for good', () => {
    let st = stuckOnInput('waiting', 0, 0).next
    assert.equal(st, 'waiting', 'ACK-only packets do not count')
    let r = stuckOnInput(st, 1, 0)
    assert.deepEqual(r, { drop: false, next: 'waiting' }, 'a data-less packet (priming) does not count')
    r = stuckOnInput(r.next, 1, 5)
    assert.deepEqual(r, { drop: true, next: 1 })
    r = stuckOnInput(r.next, 1, 5)
    assert.deepEqual(r, { drop: true, next: 1 })
    r = stuckOnInput(r.next, 2, 5)
    assert.deepEqual(r, { drop: false, next: 'never' })
    st = r.next
    assert.deepEqual(stuckOnInput(st, 3, 5), { drop: false, next: 'never' })
    assert.deepEqual(stuckOnInput('never', 1, 5), { drop: false, next: 'never' })
  })
})

describe('password16', () => {
  it('keeps the first 16 bytes of a longer password, and only with the quirk; a configured 20-byte user is stored so', () => {
    const q = new Set<QuirkName>(['password16'])
    assert.deepEqual(storedPassword(q, Buffer.from('0123456789abcdefWXYZ')), Buffer.from('0123456789abcdef'))
    assert.deepEqual(storedPassword(q, Buffer.from('short')), Buffer.from('short'))
    assert.deepEqual(storedPassword(new Set(), Buffer.from('0123456789abcdefWXYZ')), Buffer.from('0123456789abcdefWXYZ'))
    const bmc = new SimBmc({ quirks: ['password16'], users: [{ id: 2, name: 'admin', password: '0123456789abcdefWXYZ' }] })
    assert.deepEqual([bmc.users[2]!.password.toString(), bmc.users[2]!.passwordSize], ['0123456789abcdef', 16])
  })
})

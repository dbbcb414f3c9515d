// BMC profiles (src/session/profile.ts): the workaround list and its parsing,
// and what IpmiClient learns from a quirky SimBmc over the in-memory link on a
// ManualClock (no sockets): each quirk the client adapts to is reported once,
// a plain BMC teaches nothing, and a client that starts from a stored profile
// (or a configured workaround) skips what it already knows.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { GetDeviceId } from '../../../src/ipmi/commands/index.js'
import {
  addLearned, EMPTY_PROFILE, parseWorkarounds, profileIsEmpty, profileRows, reviveProfile, withProtocol, WORKAROUND_NAMES, WORKAROUNDS, type LearnedEntry, type LearnedProfile,
} from '../../../src/session/profile.js'
import type { QuirkName } from '../../../src/sim/quirks.js'
import { attachSol } from '../../../src/sim/sol.js'
import { SolConsole } from '../../../src/sol/console.js'
import { DEFAULT_TIMING } from '../../../src/session/config.js'
import { Writable } from 'node:stream'
import { ipmiCommand } from '../../../src/cli/ipmi.js'
import { clientRig, drive, watchUnhandled, type RigOptions } from './harness.js'

watchUnhandled()

const FREEIPMI_FLAGS = ['authcap', 'nochecksumcheck', 'intel20', 'supermicro20', 'sun20', 'opensesspriv', 'integritycheckvalue', 'solpayloadsize', 'solport',
  'solstatus', 'solchannelsupport', 'serialalertsdeferred', 'solpacketseq', 'idzero', 'unexpectedauth', 'forcepermsg', 'endianseq', 'noauthcodecheck', 'ipmiping']

describe('the workaround list', () => {
  it('holds every FreeIPMI -W name of ipmiconsole(8) and ipmipower(8) once, each with what it changes', () => {
    assert.equal(new Set(WORKAROUND_NAMES).size, WORKAROUNDS.length)
    for (const f of FREEIPMI_FLAGS) assert.ok(WORKAROUNDS.some((w) => w.name === f && w.freeipmi), f)
    for (const w of WORKAROUNDS) assert.ok(w.changes.length > 20, w.name)
    // A relaxed check is only ever one the client detects and reports (it is never silently built in).
    for (const w of WORKAROUNDS.filter((x) => x.relaxesSecurity)) assert.equal(w.handling, 'detected', w.name)
  })

  it('parses a -W / ipmiworkaround list: known names once, unknown ones apart, no-effect ones named, "none" dropped', () => {
    const p = parseWorkarounds('solport, NOCHECKSUMCHECK,authcap,solport,bogus,none,,idzero')
    assert.deepEqual(p.names, ['solport', 'nochecksumcheck', 'authcap', 'idzero'])
    assert.deepEqual(p.unknown, ['bogus'])
    assert.deepEqual(p.noEffect, ['authcap', 'idzero'])
    assert.deepEqual(parseWorkarounds(['cipher-suites-silent']).names, ['cipher-suites-silent'])
  })

  it('adds a name once (the first detail stays), keeps the suite, and shows configured entries before learned ones', () => {
    const at = new Date('2026-01-02T03:04:05Z')
    let p = addLearned(EMPTY_PROFILE, { name: 'cipher-suites-silent', detail: 'first' }, at, 3)
    const same = addLearned(p, { name: 'cipher-suites-silent', detail: 'again' }, new Date(), 3)
    assert.equal(same, p, 'nothing new: the same object')
    p = addLearned(p, { name: 'solport', detail: 'port 6230' }, at)
    assert.deepEqual(p, {
      entries: [{ name: 'cipher-suites-silent', detail: 'first', learnedAt: at.toISOString() }, { name: 'solport', detail: 'port 6230', learnedAt: at.toISOString() }],
      cipherSuite: 3,
    })
    const rows = profileRows(p, ['authcap'])
    assert.deepEqual(rows.map((r) => [r.name, r.source, r.effective]), [['authcap', 'configured', false], ['cipher-suites-silent', 'learned', true], ['solport', 'learned', true]])
  })

  it('revives a stored profile: unknown names, duplicates and junk are dropped, never thrown', () => {
    assert.deepEqual(reviveProfile(null), EMPTY_PROFILE)
    const r = reviveProfile({ entries: [{ name: 'solport', detail: 'x', learnedAt: 't' }, { name: 'nosuch' }, { name: 'solport', detail: 'y' }, 7], cipherSuite: 17 })
    assert.deepEqual(r, { entries: [{ name: 'solport', detail: 'x', learnedAt: 't' }], cipherSuite: 17 })
  })
})

/** Logs in, runs a command, and returns what the client learned (in order) and the sent packet count. */
async function learn(o: RigOptions & { profile?: LearnedProfile }) {
  const r = clientRig({ ...o, session: { ...o.session, ...(o.profile !== undefined ? { profile: o.profile } : {}) } })
  const learned: LearnedEntry[] = []
  r.client.on('learned', (e) => learned.push(e))
  const t0 = r.clock.now()
  await drive(r.clock, r.client.connect())
  const loginMs = r.clock.now() - t0
  await drive(r.clock, r.client.run(GetDeviceId, undefined))
  const sent = r.links.reduce((n, l) => n + l.counters['a-to-b'].sent, 0)
  return { ...r, learned, loginMs, sent }
}

const quirky = (...quirks: QuirkName[]): RigOptions => ({ bmc: { quirks } })

describe('IpmiClient learns the BMC', () => {
  it('a plain BMC teaches nothing', async () => {
    const { learned, client } = await learn({})
    assert.deepEqual(learned, [])
    assert.deepEqual(client.profile, EMPTY_PROFILE)
  })

  it('cipher-suites-silent: learned with the suite that worked; a client starting from it sends no probe and does not wait', async () => {
    const first = await learn(quirky('cipher-suites-silent'))
    assert.deepEqual(first.learned.map((e) => e.name), ['cipher-suites-silent'])
    assert.equal(first.client.profile.cipherSuite, 17)
    assert.ok(first.loginMs >= DEFAULT_TIMING.probeMs, `the first login waited for the probe (${first.loginMs} ms)`)
    const next = await learn({ ...quirky('cipher-suites-silent'), profile: first.client.profile })
    assert.deepEqual(next.learned, [], 'a known entry is not reported again')
    assert.ok(next.loginMs < DEFAULT_TIMING.probeMs, `no probe wait (${next.loginMs} ms)`)
    // Get Channel Auth Caps, Open Session, RAKP 1, RAKP 3, Set Session Privilege, Get Device ID: no Get Channel Cipher Suites.
    assert.equal(next.sent, first.sent - 1)
  })

  it('a configured cipher-suites-silent skips the probe from the first login, and nothing is "learned"', async () => {
    const r = await learn({ ...quirky('cipher-suites-silent'), session: { workarounds: ['cipher-suites-silent'] } })
    assert.ok(r.loginMs < DEFAULT_TIMING.probeMs, `${r.loginMs} ms`)
    assert.deepEqual(r.learned, [])
  })

  it('suite3-only: a downgrade from 17 is learned (it relaxes security) with the BMC\'s reason', async () => {
    const listed = await learn(quirky('suite3-only'))
    assert.deepEqual(listed.learned, [{ name: 'cipher-suite', detail: 'suite 3 instead of 17: the BMC offers only 3' }])
    const silent = await learn(quirky('suite3-only', 'cipher-suites-silent'))
    assert.deepEqual(silent.learned.map((e) => [e.name, e.detail]), [
      ['cipher-suites-silent', `Get Channel Cipher Suites unanswered within ${DEFAULT_TIMING.probeMs} ms; suite 3 worked`],
      ['cipher-suite', 'suite 3 instead of 17: the BMC refused 17'],
    ])
    // Started from that profile: suite 3 first, so no Open Session for 17 and no probe.
    const next = await learn({ ...quirky('suite3-only', 'cipher-suites-silent'), profile: silent.client.profile })
    assert.equal(next.client.info?.cipherSuite, 3)
    assert.equal(next.sent, silent.sent - 2)
  })

  it('suite17-only and a fixed -C teach nothing (17 is our first choice; a fixed suite is the operator\'s)', async () => {
    assert.deepEqual((await learn(quirky('suite17-only'))).learned, [])
    assert.deepEqual((await learn({ ...quirky('suite3-only'), session: { cipherSuite: 3 } })).learned, [])
  })

  it('nochecksumcheck: learned at the first forgiven answer, once, while every forgiven answer is counted', async () => {
    const r = await learn(quirky('nochecksumcheck'))
    assert.deepEqual(r.learned.map((e) => e.name), ['nochecksumcheck'])
    await drive(r.clock, r.client.run(GetDeviceId, undefined))
    assert.ok((r.client.currentSession?.stats.checksumsForgiven ?? 0) >= 2)
    assert.equal(r.learned.length, 1)
  })

  it('opensesspriv, authcap, solstatus, solchannelsupport, serialalertsdeferred need nothing: nothing learned', async () => {
    for (const q of ['opensesspriv', 'authcap', 'solstatus', 'solchannelsupport', 'serialalertsdeferred'] as const) {
      assert.deepEqual((await learn(quirky(q))).learned, [], q)
    }
  })
})

/** Opens SOL on a client of a quirky BMC and returns what was learned. */
async function learnSol(quirks: QuirkName[], opts: { force?: boolean; workarounds?: RigOptions['session'] } = {}) {
  const r = clientRig({ bmc: { quirks }, session: { ...opts.workarounds } })
  attachSol(r.bmc, { clock: r.clock })
  const learned: LearnedEntry[] = []
  r.client.on('learned', (e) => learned.push(e))
  const con = SolConsole.forClient(r.client, { clock: r.clock })
  const opened = await drive(r.clock, con.open({ force: opts.force ?? false }).then((a) => ({ ok: true as const, a }), (e: { code: string }) => ({ ok: false as const, code: e.code })))
  return { ...r, con, learned, opened }
}

describe('SOL activation learns the BMC', () => {
  it('solpayloadsize: a nonsense inbound size is learned and we send 32 bytes per packet, not 255', async () => {
    const r = await learnSol(['solpayloadsize'])
    assert.ok(r.opened.ok)
    assert.equal(r.opened.a.maxSendData, 32)
    assert.deepEqual(r.learned.map((e) => e.name), ['solpayloadsize'])
    await r.con.close()
  })

  it('solport and solport-endian: learned, SOL stays on the session\'s port', async () => {
    for (const q of ['solport', 'solport-endian'] as const) {
      const r = await learnSol([q])
      assert.ok(r.opened.ok, q)
      assert.deepEqual(r.learned.map((e) => e.name), [q])
      await r.con.close()
    }
  })

  it('solactive-stale: taken over with force (the worker\'s default) and learned; without force SOL_BUSY unless -W solactive-stale', async () => {
    const forced = await learnSol(['solactive-stale'], { force: true })
    assert.ok(forced.opened.ok)
    assert.deepEqual(forced.learned.map((e) => e.name), ['solactive-stale'])
    await forced.con.close()
    const plain = await learnSol(['solactive-stale'])
    assert.deepEqual(plain.opened, { ok: false, code: 'SOL_BUSY' })
    const configured = await learnSol(['solactive-stale'], { workarounds: { workarounds: ['solactive-stale'] } })
    assert.ok(configured.opened.ok)
    await configured.con.close()
  })

  it('soldeactivate-noop with a stale holder: the futile deactivate is learned, and SOL_BUSY says so', async () => {
    const r = await learnSol(['solactive-stale', 'soldeactivate-noop'], { force: true })
    assert.deepEqual(r.opened, { ok: false, code: 'SOL_BUSY' })
    assert.deepEqual(r.learned.map((e) => e.name), ['soldeactivate-noop'])
  })

  it('soldeactivate-noop already known: no futile Deactivate Payload, SOL_BUSY at once', async () => {
    const r = await learnSol(['solactive-stale', 'soldeactivate-noop'], { force: true, workarounds: { workarounds: ['soldeactivate-noop'] } })
    assert.deepEqual(r.opened, { ok: false, code: 'SOL_BUSY' })
    assert.deepEqual(r.learned, [], 'nothing new: it did not try the deactivate it knows to be futile')
  })

  it('a plain BMC\'s SOL teaches nothing', async () => {
    const r = await learnSol([])
    assert.ok(r.opened.ok)
    assert.deepEqual(r.learned, [])
    await r.con.close()
  })
})

describe('bmcvisor ipmi -W', () => {
  const io = () => {
    let err = ''
    const stream = new Writable({ write(c: Buffer, _e, cb) { err += c.toString(); cb() } })
    return { io: { stdout: stream, stderr: stream, env: {} }, text: () => err }
  }
  it('an unknown name exits 2 with VALIDATION_FAILED before anything is sent', async () => {
    const o = io()
    assert.equal(await ipmiCommand(['-H', '127.0.0.1', '-U', 'admin', '-P', 'pw', '-W', 'solport,bogus', 'power', 'status'], o.io), 2)
    assert.match(o.text(), /^bmcvisor: VALIDATION_FAILED: unknown workaround bogus \(known: authcap, /m)
  })
})

describe('the probed protocol of an auto node in its profile', () => {
  it('survives a store round trip and a newly learned entry; an unknown one is dropped', () => {
    const p = withProtocol(EMPTY_PROFILE, 'redfish')
    assert.equal(reviveProfile(JSON.parse(JSON.stringify(p))).protocol, 'redfish')
    assert.equal(addLearned(p, { name: 'solport', detail: 'x' }, new Date(0)).protocol, 'redfish')
    assert.equal(reviveProfile({ entries: [], protocol: 'snmp' }).protocol, undefined)
    assert.equal(profileIsEmpty(p), false)
    assert.equal(profileIsEmpty(withProtocol(p, undefined)), true)
    assert.equal(withProtocol(p, 'redfish'), p, 'unchanged: the same object')
  })
})

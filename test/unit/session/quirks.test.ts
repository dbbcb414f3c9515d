// Our client against the quirky simulated BMC, with no flags, over the
// in-memory link and a ManualClock (no sockets): for each quirk the client
// adapts to, the command that proves it works, what it reported through
// IpmiClient.learn, and that a compliant BMC teaches it nothing. Each test
// fails without its adaptation (the quirk's plain effect is asserted too).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AuthAlg, rakp2AuthCode, type RakpInputs } from '../../../src/ipmi/crypto.js'
import { ChassisControl, ChassisAction, GetChassisStatus, GetDeviceId, PasswordOperation, SetUserPassword } from '../../../src/ipmi/commands/index.js'
import { encodeRmcpPlusPacket, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType } from '../../../src/ipmi/packet.js'
import { MIN_LEARNED_KEEPALIVE_MS } from '../../../src/session/client.js'
import type { LearnedProfile } from '../../../src/session/profile.js'
import { parseWithAnyPad } from '../../../src/session/relaxed-trailer.js'
import { wrongIntegrityPad } from '../../../src/sim/quirks.js'
import { integrityCode } from '../../../src/ipmi/crypto.js'
import { clientRig, drive, driveToError, flush, watchUnhandled } from './harness.js'

watchUnhandled()

/** What the client learned (its profile's names: these clients start from none). */
const names = (p: LearnedProfile): string[] => p.entries.map((e) => e.name)

describe('a compliant BMC teaches nothing', () => {
  it('login, power status and an admin command: nothing learned, nothing forgiven', async () => {
    const r = clientRig()
    await drive(r.clock, r.client.run(GetChassisStatus, undefined))
    await drive(r.clock, r.client.run(SetUserPassword, { userId: 2, operation: PasswordOperation.EnableUser }))
    assert.deepEqual(names(r.client.profile), [])
    assert.equal(r.client.currentSession?.stats.padsForgiven, 0)
    assert.equal(r.client.info?.privilege, 'administrator')
  })
})

describe('integritypad', () => {
  const K1 = Buffer.alloc(20, 7)
  const sign = (b: Buffer) => integrityCode(1, K1, b)
  const packet = (payload: Buffer) => encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 9, sessionSeq: 3, payload, crypto: { integrity: 1, confidentiality: 0, k1: K1, k2: Buffer.alloc(20) } })

  it('the strict parser refuses the odd pad; the relaxed one finds the AuthCode and it verifies; a flipped byte still fails', () => {
    for (const len of [5, 6, 7, 8]) {
      const odd = wrongIntegrityPad(packet(Buffer.alloc(len, 0x41)), 12, sign)
      assert.throws(() => parseRmcpPlusPacket(odd), /pad length|next header/)
      const p = parseWithAnyPad(odd, 12)
      assert.ok(p !== undefined, `payload ${len}`)
      assert.deepEqual(openRmcpPlusPacket(p, { integrity: 1, confidentiality: 0, k1: K1, k2: Buffer.alloc(20) }), Buffer.alloc(len, 0x41))
      const tampered = Buffer.from(odd)
      tampered[20] = tampered[20]! ^ 1 // inside the payload, covered by the AuthCode
      assert.throws(() => openRmcpPlusPacket(parseWithAnyPad(tampered, 12)!, { integrity: 1, confidentiality: 0, k1: K1, k2: Buffer.alloc(20) }), /integrity/)
    }
  })

  it('our client logs in and runs commands; answers are counted as forgiven and reported once', async () => {
    const r = clientRig({ bmc: { quirks: ['integritypad'] } })
    await drive(r.clock, r.client.run(GetDeviceId, undefined))
    await drive(r.clock, r.client.run(GetChassisStatus, undefined))
    const s = r.client.currentSession!
    assert.ok(s.stats.padsForgiven >= 2, `forgiven ${s.stats.padsForgiven}`)
    assert.equal(s.stats.dropped.malformed, 0)
    assert.deepEqual(names(r.client.profile), ['integrity-pad'])
  })
})

describe('setpriv-refused', () => {
  it('administrator asked, 81h answered, administrator in force: the session is administrator and an admin-only command works', async () => {
    const r = clientRig({ bmc: { quirks: ['setpriv-refused'] }, session: { privilege: 'administrator' } })
    await drive(r.clock, r.client.connect())
    assert.equal(r.client.info?.privilege, 'administrator')
    // Set User Password needs administrator (IPMI v2.0 §22.29): it proves the level.
    await drive(r.clock, r.client.run(SetUserPassword, { userId: 2, operation: PasswordOperation.EnableUser }))
    assert.deepEqual(names(r.client.profile), ['privilege-refused'])
  })

  it('a refusal that is real (user limited to operator) still falls back to operator and learns nothing', async () => {
    const r = clientRig({ bmc: { roleRefusal: 'set-privilege', users: [{ id: 2, name: 'admin', password: 'password', privilege: 3 }] } })
    await drive(r.clock, r.client.connect())
    assert.equal(r.client.info?.privilege, 'operator')
    assert.deepEqual(names(r.client.profile), [])
  })
})

describe('sessiontable-full', () => {
  it('Open Session answers "insufficient resources" until the leaked sessions expire; the login waits them out', async () => {
    const r = clientRig({ bmc: { quirks: ['sessiontable-full'], idleTimeoutMs: 3000 } })
    const t0 = r.clock.now()
    await drive(r.clock, r.client.run(GetChassisStatus, undefined))
    assert.ok(r.clock.now() - t0 >= 3000, 'not before the leaked sessions expired')
    assert.ok(r.clock.now() - t0 < 10_000, 'within the login deadline')
    assert.deepEqual(names(r.client.profile), ['session-table-full'])
  })

  it('a table that stays full fails with BMC_BUSY at the login deadline, not at the first refusal', async () => {
    const r = clientRig({ bmc: { quirks: ['sessiontable-full'], idleTimeoutMs: 600_000 } })
    const t0 = r.clock.now()
    const e = await driveToError(r.clock, r.client.connect())
    assert.equal(e.code, 'BMC_BUSY')
    assert.ok(r.clock.now() - t0 >= 5000, `gave up after ${r.clock.now() - t0} ms`)
  })
})

describe('password16', () => {
  const LONG = '0123456789abcdefWXYZ' // 20 bytes

  it('up to 16 bytes the 16- and 20-byte keys are one HMAC key (RFC 2104 pads keys with zeros): nothing to adapt', () => {
    const i: RakpInputs = {
      auth: AuthAlg.HmacSha1, remoteConsoleSessionId: 1, managedSystemSessionId: 2, consoleRandom: Buffer.alloc(16, 1), bmcRandom: Buffer.alloc(16, 2),
      bmcGuid: Buffer.alloc(16, 3), role: 0x14, username: Buffer.from('admin'),
    }
    const pw = Buffer.from('password')
    assert.deepEqual(rakp2AuthCode(i, Buffer.concat([pw, Buffer.alloc(16 - pw.length)])), rakp2AuthCode(i, pw))
    assert.deepEqual(rakp2AuthCode(i, Buffer.concat([pw, Buffer.alloc(20 - pw.length)])), rakp2AuthCode(i, pw))
    assert.deepEqual(rakp2AuthCode({ ...i, auth: AuthAlg.HmacSha256 }, Buffer.concat([pw, Buffer.alloc(12)])), rakp2AuthCode({ ...i, auth: AuthAlg.HmacSha256 }, pw))
  })

  it('a 20-byte password on a BMC that kept 16 bytes: RAKP 2 proves the 16-byte key, the login uses it and says so', async () => {
    const r = clientRig({ bmc: { quirks: ['password16'], users: [{ id: 2, name: 'admin', password: LONG }] }, session: { password: LONG } })
    await drive(r.clock, r.client.run(GetChassisStatus, undefined))
    assert.deepEqual(names(r.client.profile), ['password16'])
  })

  it('a wrong password is still refused, and a compliant BMC with the same 20 bytes learns nothing', async () => {
    const wrong = clientRig({ bmc: { quirks: ['password16'], users: [{ id: 2, name: 'admin', password: LONG }] }, session: { password: 'X123456789abcdefWXYZ' } })
    assert.equal((await driveToError(wrong.clock, wrong.client.connect())).code, 'BMC_AUTH_FAILED')
    const plain = clientRig({ bmc: { users: [{ id: 2, name: 'admin', password: LONG }] }, session: { password: LONG } })
    await drive(plain.clock, plain.client.connect())
    assert.deepEqual(names(plain.client.profile), [])
  })

  it('the quirky BMC refuses the 20-byte form of Set User Password with CCh', async () => {
    const r = clientRig({ bmc: { quirks: ['password16'] } })
    const e = await driveToError(r.clock, r.client.run(SetUserPassword, { userId: 2, operation: PasswordOperation.SetPassword, password: LONG, size: 20 }))
    assert.equal(e.details.completionCode, 0xcc)
  })
})

describe('idletimeout-short', () => {
  it('sessions dropped while idle teach a shorter keepalive, until one stays up', async () => {
    const r = clientRig({ bmc: { quirks: ['idletimeout-short'], idleTimeoutMs: 1500 }, session: { timing: { keepaliveMs: 4000, keepaliveTimeoutMs: 1000 } } })
    let logins = 0
    for (; logins < 5; logins++) {
      await drive(r.clock, r.client.connect())
      const s = r.client.currentSession!
      // Wait on the session: lost (keepalive unanswered) or 12 s up.
      const until = r.clock.now() + 12_000
      while (s.state === 'established' && r.clock.now() < until) {
        r.clock.advance(100)
        await flush()
      }
      if (s.state === 'established') break
    }
    const k = r.client.currentSession!.timing.keepaliveMs
    assert.ok(k < 1500 && k >= MIN_LEARNED_KEEPALIVE_MS, `keepalive ${k}`)
    assert.ok(logins >= 1 && logins <= 3, `logins ${logins}`)
    assert.deepEqual(names(r.client.profile), ['idle-timeout'])
  })

  it('a BMC that is down for a while (cold reset) does not teach it: the next login had to wait', async () => {
    const r = clientRig({ bmc: { coldResetDowntimeMs: 5000 }, session: { timing: { keepaliveMs: 4000, keepaliveTimeoutMs: 1000 } } })
    await drive(r.clock, r.client.connect())
    r.bmc.coldReset()
    const s = r.client.currentSession!
    while (s.state === 'established') {
      r.clock.advance(100)
      await flush()
    }
    await drive(r.clock, r.client.connect())
    assert.equal(r.client.currentSession!.timing.keepaliveMs, 4000)
    assert.deepEqual(names(r.client.profile), [])
  })
})

describe('host power change seen by the session', () => {
  it('Chassis Control power cycle answered 00h emits hostPower; power status does not', async () => {
    const r = clientRig()
    const s = await drive(r.clock, r.client.connect())
    let seen = 0
    s.on('hostPower', () => seen++)
    await drive(r.clock, r.client.run(GetChassisStatus, undefined))
    assert.equal(seen, 0)
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerCycle }))
    assert.equal(seen, 1)
  })
})

// Every truncation of a valid packet, for each codec in src/ipmi/*.ts
// (framing, LAN messages, session setup payloads, AES payloads, the byte
// reader), must fail with IPMI_DECODE_ERROR: never a crash, never a
// half-filled value. Vectors are the ipmitool <-> ipmi_sim capture of
// reference/ipmi-spec.md §2.12 where one exists, otherwise our own encoders
// (whose layouts the codec tests check field by field). The command codecs
// in src/ipmi/commands/ have their own truncation tables.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Reader } from '../../../src/ipmi/bytes.js'
import { aesDecrypt, aesEncrypt, AuthAlg, ConfidentialityAlg, IntegrityAlg, rakp4IcvLength, rakpAuthCodeLength } from '../../../src/ipmi/crypto.js'
import { decodeLanRequest, decodeLanResponse } from '../../../src/ipmi/lan-message.js'
import {
  decodeV15Packet, encodeRmcpPlusPacket, encodeV15Packet, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType, sessionFormat,
  type SessionCrypto,
} from '../../../src/ipmi/packet.js'
import {
  decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2, decodeRakp3, decodeRakp4,
  encodeOpenSessionRequest, encodeOpenSessionResponse, encodeRakp1, encodeRakp2, encodeRakp3, encodeRakp4,
} from '../../../src/ipmi/rakp.js'

const h = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex')

/** Asserts decode(full) succeeds and decode(prefix) throws IPMI_DECODE_ERROR for every shorter prefix. */
function everyTruncationFails(name: string, full: Buffer, decode: (b: Buffer) => unknown, from = 0): void {
  assert.doesNotThrow(() => decode(full), `${name}: the full vector must decode`)
  for (let n = from; n < full.length; n++) {
    assert.throws(() => decode(full.subarray(0, n)), (e: { code?: string }) => e.code === 'IPMI_DECODE_ERROR', `${name}: prefix of ${n}/${full.length} bytes`)
  }
}

// §2.12 capture, suite 3 (SHA1 / SHA1-96 / AES).
const K1 = h('d6157882b3c8259a53dd80929b151a73b107986e')
const K2 = h('339026a9187d6138cc0f92296638a22bd1a963ae')
const SUITE3: SessionCrypto = { integrity: IntegrityAlg.HmacSha1_96, confidentiality: ConfidentialityAlg.AesCbc128, k1: K1, k2: K2 }
const CONSOLE_PACKET = h('0600ff07 06c0 02000000 03000000 2000 844ba81ed61c7cda31a117e326be1eb2 720a5b68250d1c7d8d3ad8f95bef77d7 ffff0207 3b33b56be214153ccadf53ca')
const BMC_PACKET = h('0600ff07 06c0 a4a3a2a0 01000000 2000 5b1cde60f4e8b67cf97496d977966e33 2a01e56833f7ba6ff74cd6ed0b18dbbe ffff0207 ca1006f432124133630421ee')
const SET_PRIV_REQUEST = h('20 18 c8 81 04 3b 04 3c')
const SET_PRIV_RESPONSE = h('81 1c 63 20 04 3b 00 04 9d')
const SIDM = 0xa0a2a3a4
const SIDC = 0x00000002

describe('packet.ts: RMCP, IPMI 1.5 and RMCP+ framing', () => {
  it('IPMI 1.5 Get Channel Auth Caps request (ipmitool capture)', () => {
    const v15 = encodeV15Packet(h('20 18 c8 81 00 38 8e 04 b5'))
    assert.equal(v15.toString('hex'), '0600ff070000000000000000000920' + '18c881003 88e04b5'.replace(/ /g, ''))
    everyTruncationFails('decodeV15Packet', v15, decodeV15Packet)
  })

  it('IPMI 1.5 with an auth code (type MD5): the 16 code bytes are required too', () => {
    const withCode = Buffer.concat([h('0600ff07 02 01000000 02000000'), Buffer.alloc(16, 0xaa), h('08 81 1c 63 20 04 38 00 00')])
    everyTruncationFails('decodeV15Packet (auth code)', withCode, decodeV15Packet)
  })

  it('sessionFormat needs the RMCP header and the auth type byte', () => {
    everyTruncationFails('sessionFormat', CONSOLE_PACKET.subarray(0, 5), sessionFormat)
  })

  it('RMCP+ signed and encrypted packets (capture, both directions): parse + open with the session keys', () => {
    for (const [name, p] of [['console -> BMC', CONSOLE_PACKET], ['BMC -> console', BMC_PACKET]] as const) {
      const open = (b: Buffer) => openRmcpPlusPacket(parseRmcpPlusPacket(b), SUITE3)
      assert.equal(open(p).length, 8 + (name === 'console -> BMC' ? 0 : 1))
      everyTruncationFails(`${name} parse+open`, p, open)
    }
  })

  it('RMCP+ suite 17 (SHA256-128) packets, signed only and signed + encrypted', () => {
    const c17: SessionCrypto = { integrity: IntegrityAlg.HmacSha256_128, confidentiality: ConfidentialityAlg.AesCbc128, k1: Buffer.alloc(32, 1), k2: Buffer.alloc(32, 2) }
    const c16: SessionCrypto = { ...c17, confidentiality: ConfidentialityAlg.None }
    for (const c of [c17, c16]) {
      const p = encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: SIDC, sessionSeq: 1, payload: SET_PRIV_REQUEST, crypto: c, iv: Buffer.alloc(16, 9) })
      everyTruncationFails(`suite ${c.confidentiality === 0 ? 16 : 17}`, p, (b) => openRmcpPlusPacket(parseRmcpPlusPacket(b), c))
    }
  })

  it('RMCP+ session setup payloads in clear (no trailer): parse alone', () => {
    const p = encodeRmcpPlusPacket({ payloadType: PayloadType.OpenSessionRequest, sessionId: 0, sessionSeq: 0, payload: Buffer.alloc(32, 1) })
    everyTruncationFails('parseRmcpPlusPacket (setup)', p, parseRmcpPlusPacket)
    const oem = encodeRmcpPlusPacket({ payloadType: PayloadType.OemExplicit, sessionId: 0, sessionSeq: 0, payload: Buffer.alloc(4) })
    // The OEM form carries IANA + payload ID (6 bytes) that our encoder does not write; build it by hand.
    const withOem = Buffer.concat([oem.subarray(0, 6), h('00000000 0000'), oem.subarray(6)])
    everyTruncationFails('parseRmcpPlusPacket (OEM explicit)', withOem, parseRmcpPlusPacket)
  })
})

describe('lan-message.ts: IPMI LAN requests and responses', () => {
  it('Set Session Privilege request (capture plaintext)', () => {
    everyTruncationFails('decodeLanRequest', SET_PRIV_REQUEST, decodeLanRequest)
  })

  it('Set Session Privilege response (capture plaintext)', () => {
    everyTruncationFails('decodeLanResponse', SET_PRIV_RESPONSE, decodeLanResponse)
  })

  it('Get Device ID response from ipmi_sim (15 data bytes)', () => {
    const body = h('81 1c 63 20 08 01 00 | 20 01 02 00 02 bf 000000 0000 00000000')
    const full = Buffer.concat([body, Buffer.from([(0x100 - body.subarray(3).reduce((a, b) => (a + b) & 0xff, 0)) & 0xff])])
    everyTruncationFails('decodeLanResponse (Get Device ID)', full, decodeLanResponse)
  })
})

describe('rakp.ts: Open Session and RAKP 1-4 (capture values, reference §2.12)', () => {
  const rm = h('570c86726870252e450bca5d0a589f81')
  const rc = h('3a5e73b4f8b55edcb220f193024559d6')
  const guid = h('a123456789abcdefa123456700000001')

  it('Open Session Request and Response', () => {
    everyTruncationFails('decodeOpenSessionRequest', encodeOpenSessionRequest({ messageTag: 0, requestedPrivilege: 4, remoteConsoleSessionId: SIDM, auth: 1, integrity: 1, confidentiality: 1 }), decodeOpenSessionRequest)
    everyTruncationFails('decodeOpenSessionResponse', encodeOpenSessionResponse({ messageTag: 0, status: 0, maxPrivilege: 4, remoteConsoleSessionId: SIDM, managedSystemSessionId: SIDC, auth: 1, integrity: 1, confidentiality: 1 }), decodeOpenSessionResponse)
  })

  it('an Open Session error answer needs at least tag and status (shorter forms are a known quirk)', () => {
    everyTruncationFails('decodeOpenSessionResponse (error)', encodeOpenSessionResponse({ messageTag: 0, status: 4, maxPrivilege: 0, remoteConsoleSessionId: SIDM, managedSystemSessionId: 0, auth: 0, integrity: 0, confidentiality: 0 }).subarray(0, 2), decodeOpenSessionResponse)
  })

  it('RAKP 1 with and without a user name', () => {
    everyTruncationFails('decodeRakp1', encodeRakp1({ messageTag: 0, managedSystemSessionId: SIDC, consoleRandom: rm, role: 0x14, username: Buffer.from('admin') }), decodeRakp1)
    everyTruncationFails('decodeRakp1 (anonymous)', encodeRakp1({ messageTag: 0, managedSystemSessionId: SIDC, consoleRandom: rm, role: 0x14, username: Buffer.alloc(0) }), decodeRakp1)
  })

  for (const auth of [AuthAlg.HmacSha1, AuthAlg.HmacSha256]) {
    const alg = auth === AuthAlg.HmacSha1 ? 'SHA1' : 'SHA256'
    it(`RAKP 2, 3 and 4 (${alg}): the key exchange codes are required in full`, () => {
      const r2 = encodeRakp2({ messageTag: 0, status: 0, remoteConsoleSessionId: SIDM, bmcRandom: rc, bmcGuid: guid, authCode: Buffer.alloc(rakpAuthCodeLength(auth), 0x5d) })
      everyTruncationFails('decodeRakp2', r2, (b) => decodeRakp2(b, rakpAuthCodeLength(auth)))
      const r3 = encodeRakp3({ messageTag: 0, status: 0, managedSystemSessionId: SIDC, authCode: Buffer.alloc(rakpAuthCodeLength(auth), 0x36) })
      everyTruncationFails('decodeRakp3', r3, (b) => decodeRakp3(b, rakpAuthCodeLength(auth)))
      const r4 = encodeRakp4({ messageTag: 0, status: 0, remoteConsoleSessionId: SIDM, icv: Buffer.alloc(rakp4IcvLength(auth), 0xc5) })
      everyTruncationFails('decodeRakp4', r4, (b) => decodeRakp4(b, rakp4IcvLength(auth)))
    })
  }

  it('RAKP 2 and 4 error answers need at least tag and status', () => {
    everyTruncationFails('decodeRakp2 (error)', h('00 0d'), (b) => decodeRakp2(b, 20))
    everyTruncationFails('decodeRakp4 (error)', h('00 0f'), (b) => decodeRakp4(b, 12))
  })
})

describe('crypto.ts: AES-CBC-128 payloads', () => {
  it('the captured ciphertexts: every shorter length is refused', () => {
    for (const p of [CONSOLE_PACKET, BMC_PACKET]) {
      const payload = parseRmcpPlusPacket(p).rawPayload
      everyTruncationFails('aesDecrypt', payload, (b) => aesDecrypt(K2, b))
    }
  })

  it('a three-block payload: cuts at block boundaries fail the pad check', () => {
    const payload = aesEncrypt(K2, Buffer.alloc(16, 3), Buffer.alloc(40, 0x42))
    assert.equal(payload.length, 16 + 48)
    everyTruncationFails('aesDecrypt (3 blocks)', payload, (b) => aesDecrypt(K2, b))
  })
})

describe('bytes.ts: the bounded Reader', () => {
  it('each read refuses to run past the end', () => {
    const reads: [string, (r: Reader) => unknown, number][] = [
      ['u8', (r) => r.u8(), 1], ['u16', (r) => r.u16(), 2], ['u24', (r) => r.u24(), 3], ['u32', (r) => r.u32(), 4], ['bytes(5)', (r) => r.bytes(5), 5],
    ]
    for (const [name, read, size] of reads) {
      everyTruncationFails(`Reader.${name}`, Buffer.alloc(size, 1), (b) => read(new Reader('test', b)))
    }
  })
})

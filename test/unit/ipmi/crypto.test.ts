// Key derivation, RAKP auth codes, integrity and AES against values computed
// outside our code: the public RAKP2 vector and the ipmitool <-> ipmi_sim
// capture from reference/ipmi-spec.md §2.11-§2.12, and openssl run by the test.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  aesDecrypt, aesEncrypt, AuthAlg, deriveK1, deriveK2, integrityCode, IntegrityAlg, rakp2AuthCode, rakp3AuthCode,
  rakp4Icv, sessionIntegrityKey, type RakpInputs,
} from '../../../src/ipmi/crypto.js'
import { encodeRmcpPlusPacket, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType } from '../../../src/ipmi/packet.js'

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const publicVector = (auth: number): RakpInputs => ({
  auth,
  remoteConsoleSessionId: h('1d828e92').readUInt32LE(0),
  managedSystemSessionId: h('82000000').readUInt32LE(0),
  consoleRandom: h('ee08e19758b8f7ae5fad97dda696fd50'),
  bmcRandom: h('494585843e868227d4aa50ca546ab3b2'),
  bmcGuid: h('a123456789abcdefa123456789abcdef'),
  role: 0x14,
  username: Buffer.from('admin'),
})
const trinity = Buffer.from('trinity')

describe('RAKP and key derivation (public vector, reference §2.11)', () => {
  it('suite 3 (SHA1): RAKP2 matches the published hash; SIK, K1, K2, RAKP3, RAKP4', () => {
    const i = publicVector(AuthAlg.HmacSha1)
    assert.equal(rakp2AuthCode(i, trinity).toString('hex'), '05aa0232b5adffddc6a6930e915029856aab3c10')
    const sik = sessionIntegrityKey(i, trinity)
    assert.equal(sik.toString('hex'), '512be9a23c1af8fb4a74552953bfa89f9660abf5')
    assert.equal(deriveK1(i.auth, sik).toString('hex'), '460218dc9d1fb6a7d85930d21e4d6f8807bb80ed')
    assert.equal(deriveK2(i.auth, sik).toString('hex'), '1b27506fd3b231aad956961d9d4a685740a0713a')
    assert.equal(rakp3AuthCode(i, trinity).toString('hex'), '02f4807d6f87401a22d7a395068674a846eb57f5')
    assert.equal(rakp4Icv(i, sik).toString('hex'), 'fd81e4b2013e05f4ee0ab40e')
  })
  it('suite 17 (SHA256): RAKP2, SIK, K1, K2, RAKP3, RAKP4', () => {
    const i = publicVector(AuthAlg.HmacSha256)
    assert.equal(rakp2AuthCode(i, trinity).toString('hex'), 'fe00f780e5429324fc08143e1dbc37be1b0474b62ea5d61b989298c7a176be86')
    const sik = sessionIntegrityKey(i, trinity)
    assert.equal(sik.toString('hex'), '2c6893fca494e81088c2641637a33966fc3ee280b2828295d7e80b5885569293')
    assert.equal(deriveK1(i.auth, sik).toString('hex'), '50f9c4ecb9d3001b55135b8e70037ef496a57b6c660c799006f345ccfb16c559')
    assert.equal(deriveK2(i.auth, sik).toString('hex'), '4fa0a6ddd508e32a479bc731e4c96f9fbc0fa3bfb99ebb6b7cea3e6ae4c5c0a9')
    assert.equal(rakp3AuthCode(i, trinity).toString('hex'), '071bec644c3e7cd12ebb3bf800dfab5cb192cb6ae41beea728a3f0a876ca3521')
    assert.equal(rakp4Icv(i, sik).toString('hex'), 'f79e8f8cd7f8e1314ba41d1dc2a7e034')
  })
})

describe('ipmitool <-> ipmi_sim capture (reference §2.12, suite 3)', () => {
  const i: RakpInputs = {
    auth: AuthAlg.HmacSha1,
    remoteConsoleSessionId: h('a4a3a2a0').readUInt32LE(0),
    managedSystemSessionId: h('02000000').readUInt32LE(0),
    consoleRandom: h('570c86726870252e450bca5d0a589f81'),
    bmcRandom: h('3a5e73b4f8b55edcb220f193024559d6'),
    bmcGuid: h('a123456789abcdefa123456700000001'),
    role: 0x14,
    username: Buffer.from('admin'),
  }
  const kuid = Buffer.from('password')
  const sik = sessionIntegrityKey(i, kuid)
  const k1 = deriveK1(i.auth, sik)
  const k2 = deriveK2(i.auth, sik)
  const crypto = { integrity: IntegrityAlg.HmacSha1_96, confidentiality: 1, k1, k2 }

  it('derives the captured handshake values', () => {
    assert.equal(rakp2AuthCode(i, kuid).toString('hex'), '5d59e4b9224fad910cc78e7268ea7853ad3ca9fb')
    assert.equal(rakp3AuthCode(i, kuid).toString('hex'), '36ffca75a8ca54d1ecf828a3f53d959a6828f54a')
    assert.equal(sik.toString('hex'), '40f1dfe9b1e7ecf4f5c4c3e0e9b72d6c1f90d39a')
    assert.equal(k1.toString('hex'), 'd6157882b3c8259a53dd80929b151a73b107986e')
    assert.equal(k2.toString('hex'), '339026a9187d6138cc0f92296638a22bd1a963ae')
    assert.equal(rakp4Icv(i, sik).toString('hex'), 'c5fc2ea757d187f07b63e671')
  })

  it('encodes the first in-session packet byte for byte as ipmitool sent it', () => {
    const pkt = encodeRmcpPlusPacket({
      payloadType: PayloadType.Ipmi, sessionId: 2, sessionSeq: 3, crypto,
      payload: h('2018c881043b043c'), iv: h('844ba81ed61c7cda31a117e326be1eb2'),
    })
    assert.equal(pkt.toString('hex'),
      '0600ff07' + '06c0020000000300000020 00'.replace(/ /g, '') + '844ba81ed61c7cda31a117e326be1eb2' +
      '720a5b68250d1c7d8d3ad8f95bef77d7' + 'ffff0207' + '3b33b56be214153ccadf53ca')
  })

  it('verifies and decrypts the captured BMC reply', () => {
    const reply = h('0600ff07 06c0 a4a3a2a0 01000000 2000 5b1cde60f4e8b67cf97496d977966e33 2a01e56833f7ba6ff74cd6ed0b18dbbe ffff0207 ca1006f432124133630421ee')
    const parsed = parseRmcpPlusPacket(reply)
    assert.equal(parsed.sessionId, 0xa0a2a3a4)
    assert.equal(parsed.sessionSeq, 1)
    const plain = openRmcpPlusPacket(parsed, crypto)
    assert.equal(plain.toString('hex'), '811c6320043b00049d')
    const tampered = Buffer.from(reply)
    tampered[30] = tampered[30]! ^ 1
    assert.throws(() => openRmcpPlusPacket(parseRmcpPlusPacket(tampered), crypto), { code: 'IPMI_DECODE_ERROR' })
  })
})

function openssl(args: string[], input: Buffer): Buffer {
  return execFileSync('openssl', args, { input })
}

describe('suite 17 integrity and AES against openssl', () => {
  const k1 = h('50f9c4ecb9d3001b55135b8e70037ef496a57b6c660c799006f345ccfb16c559')
  const k2 = h('4fa0a6ddd508e32a479bc731e4c96f9fbc0fa3bfb99ebb6b7cea3e6ae4c5c0a9')

  it('HMAC-SHA256-128 AuthCode equals openssl HMAC truncated to 16 bytes', () => {
    const signed = h('06c0 02000000 05000000 2000') // any signed region
    const ours = integrityCode(IntegrityAlg.HmacSha256_128, k1, signed)
    const theirs = openssl(['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${k1.toString('hex')}`, '-binary'], signed)
    assert.deepEqual(ours, theirs.subarray(0, 16))
  })

  it('AES-CBC-128 with IPMI pad equals openssl -nopad, for every plaintext length 0..40', () => {
    const iv = h('000102030405060708090a0b0c0d0e0f')
    for (let n = 0; n <= 40; n++) {
      const plain = Buffer.alloc(n, 0x41 + (n % 26))
      const enc = aesEncrypt(k2, iv, plain)
      const padded = enc.length - 16
      assert.equal(padded % 16, 0)
      const dec = openssl(['enc', '-d', '-aes-128-cbc', '-K', k2.subarray(0, 16).toString('hex'), '-iv', iv.toString('hex'), '-nopad'], enc.subarray(16))
      const padLen = dec[dec.length - 1]!
      assert.deepEqual(dec.subarray(0, n), plain)
      assert.equal(n + padLen + 1, dec.length)
      for (let k = 1; k <= padLen; k++) assert.equal(dec[n + k - 1], k)
      assert.deepEqual(aesDecrypt(k2, enc), plain)
    }
  })
})

// The per-packet path keeps no per-packet cipher objects and makes no copies
// (src/ipmi/crypto.ts aesKey, src/ipmi/packet.ts views): AES-CBC chained over
// one reused ECB cipher must equal node's own aes-128-cbc for every length and
// key order, and nothing a caller kept from one packet may change when the
// next packet is encoded, parsed or decrypted.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv, createHmac } from 'node:crypto'
import { aesDecrypt, aesEncrypt, aesPayloadLength, ConfidentialityAlg, IntegrityAlg } from '../../../src/ipmi/crypto.js'
import { encodeRmcpPlusPacket, encodeSessionPacket, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType, type SessionCrypto } from '../../../src/ipmi/packet.js'

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + 1) & 0xff))
const KEY_A = bytes(20, 1)
const KEY_B = bytes(20, 2)
const IV = bytes(16, 3)

/** IPMI's AES-CBC-128 payload computed the plain way: a fresh aes-128-cbc cipher, IPMI's 1..n | n pad. */
function reference(k2: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const n = (16 - ((plaintext.length + 1) % 16)) % 16
  const padded = Buffer.concat([plaintext, Buffer.from(Array.from({ length: n }, (_, i) => i + 1)), Buffer.from([n])])
  const c = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv)
  c.setAutoPadding(false)
  return Buffer.concat([iv, c.update(padded), c.final()])
}

const SUITE3: SessionCrypto = { integrity: IntegrityAlg.HmacSha1_96, confidentiality: ConfidentialityAlg.AesCbc128, k1: bytes(20, 4), k2: KEY_A }

describe('AES-CBC-128 over a reused cipher per key', () => {
  it('equals a fresh aes-128-cbc for every plaintext length 0..64, with two keys interleaved, both ways', () => {
    for (let len = 0; len <= 64; len++) {
      for (const k of [KEY_A, KEY_B]) {
        const plain = bytes(len, len)
        const want = reference(k, IV, plain)
        const got = aesEncrypt(k, IV, plain)
        assert.equal(got.length, aesPayloadLength(len))
        assert.deepEqual(got, want, `length ${len}`)
        assert.deepEqual(aesDecrypt(k, want), plain, `length ${len}`)
      }
    }
  })

  it('a decrypted payload kept from an earlier packet is unchanged after later packets are decrypted', () => {
    const first = aesDecrypt(KEY_A, reference(KEY_A, IV, Buffer.from('first packet')))
    for (let i = 0; i < 5; i++) aesDecrypt(KEY_A, reference(KEY_A, bytes(16, i), bytes(40, i)))
    assert.equal(first.toString(), 'first packet')
  })

  it('a payload of the wrong key does not decrypt into the right plaintext, and the cipher keeps working after the refusal', () => {
    const wire = reference(KEY_A, IV, Buffer.from('secret'))
    let other: Buffer | undefined
    try {
      other = aesDecrypt(KEY_B, wire)
    } catch {
      other = undefined // a bad pad: refused
    }
    assert.notEqual(other?.toString(), 'secret')
    assert.equal(aesDecrypt(KEY_A, wire).toString(), 'secret')
    assert.equal(aesDecrypt(KEY_B, reference(KEY_B, IV, Buffer.from('other'))).toString(), 'other')
  })
})

describe('RMCP+ packets written in place, parsed as views', () => {
  it('an encrypted, signed packet equals the one built step by step (fresh cipher, HMAC over the header and trailer)', () => {
    const payload = Buffer.from([0x01, 0x00, 0x00, 0x00, 0x41])
    const got = encodeSessionPacket(PayloadType.Sol, 0x11223344, 7, payload, SUITE3, IV)
    const body = reference(SUITE3.k2, IV, payload)
    const head = Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, 0xc1, 0x44, 0x33, 0x22, 0x11, 0x07, 0x00, 0x00, 0x00, body.length, 0x00])
    const pad = (4 - ((12 + body.length + 2) % 4)) % 4
    const signedPart = Buffer.concat([head.subarray(4), body, Buffer.alloc(pad, 0xff), Buffer.from([pad, 0x07])])
    const code = createHmac('sha1', SUITE3.k1).update(signedPart).digest().subarray(0, 12)
    assert.deepEqual(got, Buffer.concat([head.subarray(0, 4), signedPart, code]))
    assert.deepEqual(encodeRmcpPlusPacket({ payloadType: PayloadType.Sol, sessionId: 0x11223344, sessionSeq: 7, payload, crypto: SUITE3, iv: IV }), got)
  })

  it('each packet without a given IV gets its own random one, past the refill of the IV pool', () => {
    const ivOf = (b: Buffer) => b.subarray(16, 32).toString('hex')
    const ivs = new Set<string>()
    const packets = 200 // more than the pool's 64 IVs: refilled twice at least
    for (let i = 0; i < packets; i++) {
      const b = encodeSessionPacket(PayloadType.Sol, 1, i + 1, Buffer.from('x'), SUITE3)
      ivs.add(ivOf(b))
      assert.equal(openRmcpPlusPacket(parseRmcpPlusPacket(b), SUITE3).toString(), 'x')
    }
    assert.equal(ivs.size, packets)
    assert.ok(!ivs.has('00'.repeat(16)))
  })

  it('an encoded packet, a parsed packet and its opened payload kept from packet 1 are unchanged after packet 2', () => {
    const one = encodeSessionPacket(PayloadType.Sol, 5, 1, Buffer.from('one'), SUITE3, IV)
    const oneCopy = Buffer.from(one)
    const parsedOne = parseRmcpPlusPacket(one)
    const rawOne = Buffer.from(parsedOne.rawPayload)
    const openedOne = openRmcpPlusPacket(parsedOne, SUITE3)
    const two = encodeSessionPacket(PayloadType.Sol, 5, 2, Buffer.from('two, longer than one'), SUITE3, bytes(16, 9))
    const parsedTwo = parseRmcpPlusPacket(two)
    assert.equal(openRmcpPlusPacket(parsedTwo, SUITE3).toString(), 'two, longer than one')
    assert.deepEqual(one, oneCopy)
    assert.deepEqual(parsedOne.rawPayload, rawOne)
    assert.equal(parsedOne.sessionSeq, 1)
    assert.equal(openedOne.toString(), 'one')
  })
})

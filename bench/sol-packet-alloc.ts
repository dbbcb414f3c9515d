// Benchmark: memory allocated per SOL packet by the codec half of the
// per-packet path (what does not depend on the machine's load): parse the
// BMC's datagram, check its AuthCode and decrypt it, decode the SOL payload,
// then encode, encrypt and sign the ACK. Cipher suite 3, a 4-character
// trickle packet. Counts the V8 heap bytes and the ArrayBuffer bytes
// (Buffers' memory) allocated per packet, over a span with no garbage
// collection in it (a young generation large enough; the run says if one ran).
// Uses only exports that 3ad4ec6 has too, so it runs unchanged on both.
// Run: node --min-semi-space-size=256 --max-semi-space-size=256 --import tsx bench/sol-packet-alloc.ts
import { getHeapSpaceStatistics } from 'node:v8'
import { ConfidentialityAlg, IntegrityAlg } from '../src/ipmi/crypto.js'
import { encodeRmcpPlusPacket, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType, sessionFormat, type SessionCrypto } from '../src/ipmi/packet.js'
import { decodeSolPacket, encodeSolAck } from '../src/ipmi/sol-packet.js'

const WARM = 2000
const PACKETS = 20_000
const crypto: SessionCrypto = {
  integrity: IntegrityAlg.HmacSha1_96,
  confidentiality: ConfidentialityAlg.AesCbc128,
  k1: Buffer.alloc(20, 0x11),
  k2: Buffer.alloc(20, 0x22),
}
// The BMC's packets, made beforehand: seq 1..15, 4 characters each.
const inbound = Array.from({ length: 15 }, (_, i) =>
  encodeRmcpPlusPacket({ payloadType: PayloadType.Sol, sessionId: 7, sessionSeq: i + 1, payload: Buffer.from([i + 1, 0, 0, 0, 0x61, 0x62, 0x63, 0x0a]), crypto }))

let delivered = 0
function perPacket(i: number): void {
  const d = inbound[i % inbound.length]!
  if (sessionFormat(d) !== 'v20') throw new Error('not RMCP+')
  const p = parseRmcpPlusPacket(d)
  const sol = decodeSolPacket(openRmcpPlusPacket(p, crypto))
  delivered += sol.data.length
  const ack = encodeSolAck(sol.seq, sol.data.length)
  encodeRmcpPlusPacket({ payloadType: PayloadType.Sol, sessionId: 9, sessionSeq: i + 1, payload: ack, crypto })
}

for (let i = 0; i < WARM; i++) perPacket(i)
/** Bytes in use in the heap's spaces (new space included: no collection runs in the span). */
const heapUsed = (): number => getHeapSpaceStatistics().reduce((n, s) => n + s.space_used_size, 0)
const CHECK_EVERY = 1000
const heap0 = heapUsed()
const ab0 = process.memoryUsage().arrayBuffers
// A collection in the span shows as heap use going down between two checks.
let last = heap0
let collected = false
for (let i = 0; i < PACKETS; i++) {
  perPacket(WARM + i)
  if (i % CHECK_EVERY === CHECK_EVERY - 1) {
    const h = heapUsed()
    if (h < last) collected = true
    last = h
  }
}
const heap1 = heapUsed()
const ab1 = process.memoryUsage().arrayBuffers
const line = `${PACKETS} packets, ${delivered} characters: V8 heap ${((heap1 - heap0) / PACKETS).toFixed(0)} B per packet, ArrayBuffers ${((ab1 - ab0) / PACKETS).toFixed(0)} B per packet`
console.log(collected ? `${line}; a garbage collection ran during the span, so these undercount: give a larger young generation` : line)

/**
 * RFC 4335 break over an SSH session channel. ssh2 has no API for the
 * "break" channel request, so the request is encoded here (pure, unit
 * tested) and handed to ssh2's packet writer, the seam its own channel
 * requests use (`_packetRW.write` and `sendPacket`, ssh2 1.17's
 * lib/protocol). A check at load time fails loudly if a future ssh2 moves
 * them, rather than dropping breaks silently.
 *
 * Wire form (RFC 4254 §5.4, RFC 4335 §3): byte SSH_MSG_CHANNEL_REQUEST (98),
 * uint32 recipient channel, string "break", boolean want reply (false:
 * nothing we do depends on the answer), uint32 break length in ms.
 */
import { createRequire } from 'node:module'
import type { ClientChannel } from 'ssh2'

const SSH_MSG_CHANNEL_REQUEST = 98
const BREAK = Buffer.from('break', 'ascii')

export function encodeBreakRequest(recipientChannel: number, breakMs: number): Buffer {
  const b = Buffer.alloc(1 + 4 + 4 + BREAK.length + 1 + 4)
  let p = b.writeUInt8(SSH_MSG_CHANNEL_REQUEST, 0)
  p = b.writeUInt32BE(recipientChannel >>> 0, p)
  p = b.writeUInt32BE(BREAK.length, p)
  p += BREAK.copy(b, p)
  p = b.writeUInt8(0, p)
  b.writeUInt32BE(breakMs >>> 0, p)
  return b
}

interface PacketWriter {
  readonly allocStart: number
  alloc(payloadSize: number): Buffer
  finalize(packet: Buffer): Buffer
}
interface Ssh2Protocol {
  _packetRW: { write: PacketWriter }
}
/** What ssh2's channel object holds that the break needs (not in its types). */
interface ChannelInternals {
  outgoing: { id: number; state: string }
  _client: { _protocol: Ssh2Protocol }
}

const require = createRequire(import.meta.url)
type SendPacket = (proto: Ssh2Protocol, packet: Buffer) => boolean
let sendPacketFn: SendPacket | undefined
/** ssh2's packet sender, loaded with the first break (ssh2 is not loaded when the worker starts: workers/ssh-console.ts). */
function sendPacket(proto: Ssh2Protocol, packet: Buffer): boolean {
  if (sendPacketFn === undefined) {
    const { sendPacket: f } = require('ssh2/lib/protocol/utils.js') as { sendPacket?: SendPacket }
    if (typeof f !== 'function') throw new Error('ssh2 no longer exports lib/protocol/utils.js sendPacket: workers/ssh-break.ts needs a new seam')
    sendPacketFn = f
  }
  return sendPacketFn(proto, packet)
}

/** Sends a break on an open channel; false when the channel is not open any more. */
export function sendBreakRequest(channel: ClientChannel, breakMs: number): boolean {
  const ch = channel as unknown as ChannelInternals
  if (ch.outgoing.state !== 'open') return false
  const proto = ch._client._protocol
  const payload = encodeBreakRequest(ch.outgoing.id, breakMs)
  const w = proto._packetRW.write
  const start = w.allocStart
  const packet = w.alloc(payload.length)
  packet.set(payload, start)
  sendPacket(proto, w.finalize(packet))
  return true
}

/**
 * UDP transport for one BMC session: one socket per session, connected to the
 * BMC so the kernel filters other sources. Closing the socket is how packets
 * of an abandoned session are dropped: nothing can arrive on it afterwards.
 */
import dgram from 'node:dgram'
import { isIP } from 'node:net'
import type { PacketTransport } from './transport.js'

export interface UdpTransport extends PacketTransport {
  /** Datagrams the kernel refused to deliver (ICMP port unreachable and similar). */
  readonly sendErrors: number
}

export async function createUdpTransport(host: string, port: number): Promise<UdpTransport> {
  const family = isIP(host) === 6 ? 'udp6' : 'udp4'
  const socket = dgram.createSocket({ type: family })
  let handler: (b: Buffer) => void = () => {}
  let closed = false
  let sendErrors = 0
  socket.on('message', (msg) => handler(msg))
  // One callback for every send (a packet costs no closure of its own).
  const sent = (err: Error | null): void => {
    if (err) sendErrors++
  }
  // A connected UDP socket reports ICMP errors (ECONNREFUSED) as socket errors:
  // they mean "no answer", which retransmit timeouts already handle.
  socket.on('error', () => {
    sendErrors++
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.connect(port, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  return {
    send(d) {
      if (closed) return
      socket.send(d, sent)
    },
    onPacket(h) {
      handler = h
    },
    close() {
      if (closed) return
      closed = true
      handler = () => {}
      socket.close()
    },
    get sendErrors() {
      return sendErrors
    },
  }
}

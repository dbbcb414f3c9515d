/**
 * UDP transport for one BMC session: one socket per session, connected to the
 * BMC so the kernel filters other sources. Closing the socket is how packets
 * of an abandoned session are dropped: nothing can arrive on it afterwards.
 */
import dgram from 'node:dgram'
import { isIP } from 'node:net'
import type { PacketTransport } from './transport.js'

export interface UdpTransport extends PacketTransport {
  /** ICMP errors the kernel reported on the socket (port unreachable and similar). */
  readonly sendErrors: number
}

export async function createUdpTransport(host: string, port: number): Promise<UdpTransport> {
  const family = isIP(host) === 6 ? 'udp6' : 'udp4'
  const socket = dgram.createSocket({ type: family })
  let handler: (b: Buffer) => void = () => {}
  let closed = false
  let sendErrors = 0
  socket.on('message', (msg) => handler(msg))
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
      // No callback: with one, node runs it on the next tick after every send,
      // a cost per packet; a datagram that fails to go out is lost like any
      // other, which retransmits already handle.
      socket.send(d)
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

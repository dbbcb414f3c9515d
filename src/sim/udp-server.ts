/**
 * Binds SimBmc instances to UDP sockets on loopback: one socket per BMC, so
 * a fleet is N sockets in one process (`bmcvisor sim --count N`).
 * Owns the sockets and nothing else: every datagram goes to the BMC's
 * handleDatagram with a reply function that answers the sender's address,
 * which also becomes that session's address for unsolicited payloads (SOL).
 * Binds 127.0.0.1 unless told otherwise: a simulator has no business on a
 * real network (suite 0 and fixed passwords are test conveniences).
 */
import dgram from 'node:dgram'
import { SimBmc } from './sim-bmc.js'
import type { SimBmcConfig } from './state.js'

export interface SimUdpServer {
  readonly bmc: SimBmc
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: the kernel picks a free port. */
  port?: number
}

export async function listenUdp(bmc: SimBmc, opts: ListenOptions = {}): Promise<SimUdpServer> {
  const host = opts.host ?? '127.0.0.1'
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' })
  let closed = false
  socket.on('message', (msg, rinfo) => {
    bmc.handleDatagram(msg, (d) => {
      if (!closed) socket.send(d, rinfo.port, rinfo.address)
    })
  })
  // A send to a console that went away can raise ICMP errors; a BMC ignores them.
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(opts.port ?? 0, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  return {
    bmc,
    host,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => {
      if (closed) return resolve()
      closed = true
      bmc.dispose()
      socket.close(() => resolve())
    }),
  }
}

export interface SimFleet {
  readonly servers: readonly SimUdpServer[]
  close(): Promise<void>
}

/**
 * Starts `count` BMCs on consecutive ports from basePort (or kernel-chosen
 * ports when basePort is 0). `configFor(i)` gives each its own config; by
 * default each gets a distinct seed and GUID so their sessions differ.
 */
export async function startFleet(count: number, opts: ListenOptions & { configFor?: (index: number) => SimBmcConfig } = {}): Promise<SimFleet> {
  const servers: SimUdpServer[] = []
  try {
    for (let i = 0; i < count; i++) {
      const guid = Buffer.alloc(16)
      guid.write('bmcvisor-sim', 'latin1')
      guid.writeUInt32BE(i, 12)
      const cfg = opts.configFor?.(i) ?? { seed: 1000 + i, guid }
      const port = opts.port === undefined || opts.port === 0 ? 0 : opts.port + i
      servers.push(await listenUdp(new SimBmc(cfg), { host: opts.host, port }))
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()))
    throw e
  }
  return { servers, close: async () => void (await Promise.all(servers.map((s) => s.close()))) }
}

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
  /** Fault "die": the BMC drops every session and the socket closes (consoles get port unreachable). */
  die(): Promise<void>
  /** Binds the same port again; the BMC keeps its state (power, users, SEL) but no sessions. */
  revive(): Promise<void>
  readonly dead: boolean
  close(): Promise<void>
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: the kernel picks a free port. */
  port?: number
}

async function bindSocket(bmc: SimBmc, host: string, port: number, isOpen: (s: dgram.Socket) => boolean): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' })
  socket.on('message', (msg, rinfo) => {
    const reply = (d: Buffer): void => {
      if (isOpen(socket)) socket.send(d, rinfo.port, rinfo.address)
    }
    bmc.handleDatagram(msg, Object.assign(reply, { peer: `${rinfo.address}:${rinfo.port}` }))
  })
  // A send to a console that went away can raise ICMP errors; a BMC ignores them.
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  return socket
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise<void>((resolve) => socket.close(() => resolve()))
}

export async function listenUdp(bmc: SimBmc, opts: ListenOptions = {}): Promise<SimUdpServer> {
  const host = opts.host ?? '127.0.0.1'
  let closed = false
  let current: dgram.Socket | undefined
  // A socket's replies stop once it is closed or replaced (delayed answers of a dead BMC go nowhere).
  const isOpen = (s: dgram.Socket) => !closed && s === current
  current = await bindSocket(bmc, host, opts.port ?? 0, isOpen)
  const port = current.address().port
  return {
    bmc,
    host,
    port,
    get dead() {
      return bmc.isDead
    },
    async die() {
      bmc.die()
      const s = current
      current = undefined
      if (s !== undefined) await closeSocket(s)
    },
    async revive() {
      if (closed || current !== undefined) return
      current = await bindSocket(bmc, host, port, isOpen)
      bmc.revive()
    },
    async close() {
      if (closed) return
      closed = true
      bmc.dispose()
      const s = current
      current = undefined
      if (s !== undefined) await closeSocket(s)
    },
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

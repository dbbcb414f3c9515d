/**
 * The IPMI management plugin: one IpmiClient (RMCP+ login, commands, the
 * session's own keepalive) per configuration generation, and its SDR cache.
 * Owns only its I/O: it logs in when told, says when an established session
 * ends, and counts retransmits; retrying is the engine's.
 */
import type { BmcConfig } from '../../src/bridge/messages.js'
import { noteProgress } from '../../src/bridge/progress.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { toWire } from '../../src/errors.js'
import type { IpmiCommand } from '../../src/ipmi/command.js'
import { IpmiClient } from '../../src/session/client.js'
import type { SessionConfig } from '../../src/session/config.js'
import type { PacketTransport } from '../../src/session/transport.js'
import { createUdpTransport } from '../../src/session/udp-transport.js'
import type { RequestOptions } from '../../src/session/request-table.js'
import type { Session } from '../../src/session/session.js'
import type { LearnedEntry } from '../../src/session/profile.js'
import type { ManagementCounters, ManagementHooks, ManagementPlugin } from './plugins.js'

/** The IPMI session a node's configuration asks for (also SOL's beside Redfish, redfish-plugin.ts). */
export function sessionConfig(c: BmcConfig): SessionConfig {
  return {
    username: c.credentials.username,
    password: c.credentials.password,
    kg: c.credentials.kgHex ? Buffer.from(c.credentials.kgHex, 'hex') : undefined,
    cipherSuite: c.cipherSuite,
    allowInsecureSuite0: c.allowInsecureSuite0,
    privilege: c.privilege,
    timing: c.timing,
    workarounds: c.workarounds,
    profile: c.profile,
  }
}

/** UDP, and every datagram that arrives shows the supervisor this thread is alive (src/bridge/progress.ts): no heartbeat needed. */
async function progressTransport(host: string, port: number): Promise<PacketTransport> {
  const t = await createUdpTransport(host, port)
  return {
    send: (d) => t.send(d),
    onPacket: (h) => t.onPacket((b) => {
      noteProgress()
      h(b)
    }),
    close: () => t.close(),
  }
}

function sumDropped(d: Record<string, number>): number {
  let n = 0
  for (const v of Object.values(d)) n += v
  return n
}

/** Learned entries and every profile change of the client go to the main thread (store, metrics, log). */
export function reportLearned(client: IpmiClient, hooks: Pick<ManagementHooks, 'learned'>): void {
  let lastEntry: LearnedEntry | undefined
  client.on('learned', (e) => {
    lastEntry = e
  })
  client.on('profile', (p) => {
    hooks.learned(p, lastEntry)
    lastEntry = undefined
  })
}

export function ipmiManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  const client = new IpmiClient({ host: config.host, port: config.port }, sessionConfig(config), { transportFactory: progressTransport })
  // Counters already reported for the current session: a new session starts from its own zero.
  let seen = { retransmits: 0, dropped: 0, relaxed: 0 }
  let pending: ManagementCounters = { retransmits: 0, droppedPackets: 0, relaxedChecks: 0 }
  const seenOf = (s: Session) => ({ retransmits: s.stats.retransmits, dropped: sumDropped(s.stats.dropped), relaxed: s.stats.checksumsForgiven })
  let counted: Session | undefined
  const fold = () => {
    const s = counted
    if (s === undefined) return
    const now = seenOf(s)
    pending.retransmits += Math.max(0, now.retransmits - seen.retransmits)
    pending.droppedPackets += Math.max(0, now.dropped - seen.dropped)
    pending.relaxedChecks += Math.max(0, now.relaxed - seen.relaxed)
    seen = now
  }
  client.on('session', (session) => {
    fold() // what the old session counted stays counted
    counted = session
    // Checks relaxed during the login (Set Session Privilege Level's answer) count too.
    seen = { ...seenOf(session), relaxed: 0 }
  })
  reportLearned(client, hooks)
  client.on('state', (state, err) => {
    if (state === 'closed') hooks.lost(err !== undefined ? toWire(err) : undefined)
  })
  return {
    protocol: 'ipmi',
    ipmi: client,
    connect: async () => {
      await client.connect()
    },
    runner: (remainingMs) => ({
      run: <Req, Res>(cmd: IpmiCommand<Req, Res>, req: Req, opts: RequestOptions = {}) => client.run(cmd, req, { timeoutMs: remainingMs(), ...opts }),
    }),
    opContext: { sdr: new SdrCache() },
    info: () => client.info ?? null,
    get hasSession() {
      return client.currentSession !== undefined
    },
    takeCounters: () => {
      fold()
      const out = pending
      pending = { retransmits: 0, droppedPackets: 0, relaxedChecks: 0 }
      return out
    },
    close: () => client.close(),
  }
}

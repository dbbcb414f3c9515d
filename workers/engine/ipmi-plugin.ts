/**
 * The IPMI management plugin: one IpmiClient (RMCP+ login, commands, the
 * session's own keepalive) per configuration generation, and its SDR cache.
 * Owns only its I/O: it logs in when told, says when an established session
 * ends, and counts retransmits; retrying is the engine's.
 */
import type { BmcConfig } from '../../src/bridge/messages.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { toWire } from '../../src/errors.js'
import type { IpmiCommand } from '../../src/ipmi/command.js'
import { IpmiClient } from '../../src/session/client.js'
import type { SessionConfig } from '../../src/session/config.js'
import type { RequestOptions } from '../../src/session/request-table.js'
import type { ManagementHooks, ManagementPlugin } from './plugins.js'

function sessionConfig(c: BmcConfig): SessionConfig {
  return {
    username: c.credentials.username,
    password: c.credentials.password,
    kg: c.credentials.kgHex ? Buffer.from(c.credentials.kgHex, 'hex') : undefined,
    cipherSuite: c.cipherSuite,
    allowInsecureSuite0: c.allowInsecureSuite0,
    privilege: c.privilege,
    timing: c.timing,
  }
}

function sumDropped(d: Record<string, number>): number {
  let n = 0
  for (const v of Object.values(d)) n += v
  return n
}

export function ipmiManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  const client = new IpmiClient({ host: config.host, port: config.port }, sessionConfig(config))
  // Counters already reported for the current session: a new session starts from its own zero.
  let seen = { retransmits: 0, dropped: 0 }
  let pending = { retransmits: 0, droppedPackets: 0 }
  const fold = () => {
    const s = client.currentSession
    if (s === undefined) return
    const dropped = sumDropped(s.stats.dropped)
    pending.retransmits += Math.max(0, s.stats.retransmits - seen.retransmits)
    pending.droppedPackets += Math.max(0, dropped - seen.dropped)
    seen = { retransmits: s.stats.retransmits, dropped }
  }
  client.on('session', (session) => {
    fold() // what the old session counted stays counted
    seen = { retransmits: session.stats.retransmits, dropped: sumDropped(session.stats.dropped) }
  })
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
      pending = { retransmits: 0, droppedPackets: 0 }
      return out
    },
    close: () => client.close(),
  }
}

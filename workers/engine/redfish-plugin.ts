/**
 * The Redfish management plugin: one RedfishClient per configuration
 * generation (src/redfish). Login is the session create, the keepalive a
 * GET of the session itself at the IPMI keepalive's pace (keepaliveMs), and
 * close the session DELETE. Owns only its I/O: it logs in when told, says
 * when the BMC stopped answering (a failed keepalive), and reports a
 * certificate trusted on first use; retrying is the engine's.
 */
import type { BmcConfig } from '../../src/bridge/messages.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { ServiceError, toWire } from '../../src/errors.js'
import { DEFAULT_REDFISH_TIMING, RedfishClient, type RedfishTiming } from '../../src/redfish/client.js'
import { RedfishService } from '../../src/redfish/service.js'
import { DEFAULT_TIMING } from '../../src/session/config.js'
import type { ManagementHooks, ManagementPlugin } from './plugins.js'

/** The node's timing overrides that name Redfish timings (the others are the IPMI session's). */
function redfishTiming(t: BmcConfig['timing']): Partial<RedfishTiming> {
  const out: Partial<RedfishTiming> = {}
  for (const k of Object.keys(DEFAULT_REDFISH_TIMING) as (keyof RedfishTiming)[]) {
    const v = t?.[k]
    if (typeof v === 'number') out[k] = v
  }
  return out
}

export function redfishManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  const client = new RedfishClient({
    host: config.host,
    port: config.port,
    username: config.credentials.username,
    password: config.credentials.password,
    tls: config.tls ?? { mode: 'verify' },
    systemId: config.systemId,
    timing: redfishTiming(config.timing),
    onFingerprint: (fp) => hooks.trustLearned?.('tls-certificate', fp),
  })
  const service = new RedfishService(client)
  const connectMs = config.timing?.connectTimeoutMs ?? DEFAULT_TIMING.connectTimeoutMs
  const keepaliveTimeoutMs = config.timing?.keepaliveTimeoutMs ?? DEFAULT_TIMING.keepaliveTimeoutMs
  let timer: NodeJS.Timeout | undefined
  let up = false
  let reported = 0

  const stopKeepalive = (): void => {
    clearTimeout(timer)
    timer = undefined
  }
  const keepalive = (): void => {
    if (client.timing.keepaliveMs <= 0) return
    timer = setTimeout(() => {
      client.ping({ deadline: Date.now() + keepaliveTimeoutMs }).then(keepalive, (e: unknown) => {
        timer = undefined
        if (!up) return
        up = false
        hooks.lost(toWire(e))
      })
    }, client.timing.keepaliveMs)
  }

  return {
    protocol: 'redfish',
    redfish: service,
    connect: async () => {
      stopKeepalive()
      // A session that outlived a lost keepalive is pinged (and logged in again on 401) rather than leaked.
      await client.open({ deadline: Date.now() + connectMs })
      up = true
      keepalive()
    },
    runner: () => ({
      run: () => Promise.reject(new ServiceError('BMC_NOT_SUPPORTED', 'this node is managed over Redfish: IPMI commands need an IPMI node', { details: { protocol: 'redfish' } })),
    }),
    opContext: { sdr: new SdrCache() },
    info: () => (up ? { protocol: 'redfish', auth: client.authKind, fingerprint: client.fingerprints.pinned ?? client.fingerprints.seen ?? null, ...client.stats } : null),
    get hasSession() {
      return up
    },
    takeCounters: () => {
      // Retried requests stand in for retransmits (bmcvisor_ipmi_retransmits_total's Redfish cousin).
      const retransmits = client.stats.retries - reported
      reported = client.stats.retries
      return { retransmits, droppedPackets: 0, relaxedChecks: 0 }
    },
    close: async () => {
      stopKeepalive()
      up = false
      await client.close()
    },
  }
}

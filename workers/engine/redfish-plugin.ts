/**
 * The Redfish management plugin: one RedfishClient per configuration
 * generation (src/redfish). Login is the session create, the keepalive a
 * GET of the session itself at the IPMI keepalive's pace (keepaliveMs), and
 * close the session DELETE. Owns only its I/O: it logs in when told, says
 * when the BMC stopped answering (a failed keepalive), and reports a
 * certificate trusted on first use; retrying is the engine's.
 */
import { DEFAULT_IPMI_PORT, type BmcConfig } from '../../src/bridge/messages.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { ServiceError, toWire } from '../../src/errors.js'
import { DEFAULT_REDFISH_TIMING, RedfishClient, type RedfishConfig, type RedfishTiming } from '../../src/redfish/client.js'
import { RedfishService } from '../../src/redfish/service.js'
import { IpmiClient } from '../../src/session/client.js'
import { DEFAULT_TIMING } from '../../src/session/config.js'
import { reportLearned, sessionConfig } from './ipmi-plugin.js'
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

/**
 * The IPMI session SOL uses on a Redfish node: not the management session
 * (that is Redfish's, and bmcvisor_bmc_up follows it), so its end is the
 * console's to notice (SOL liveness), not a lost management session. What
 * its client learns about the BMC's IPMI side is reported like an IPMI node's.
 */
function solSession(config: BmcConfig, hooks: ManagementHooks): IpmiClient {
  const ipmiConfig: BmcConfig = { ...config, protocol: 'ipmi', port: config.ipmiPort ?? DEFAULT_IPMI_PORT }
  const client = new IpmiClient({ host: ipmiConfig.host, port: ipmiConfig.port }, sessionConfig(ipmiConfig))
  reportLearned(client, hooks)
  return client
}

/** The Redfish client a node's configuration asks for (also the auto plugin's probe, with its own timing). */
export function redfishClientConfig(config: BmcConfig): RedfishConfig {
  return {
    host: config.host,
    port: config.port,
    username: config.credentials.username,
    password: config.credentials.password,
    tls: config.tls ?? { mode: 'verify' },
    systemId: config.systemId,
    timing: redfishTiming(config.timing),
  }
}

export function redfishManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  const client = new RedfishClient({ ...redfishClientConfig(config), onFingerprint: (fp) => hooks.trustLearned?.('tls-certificate', fp) })
  const service = new RedfishService(client)
  // console.method ipmi: SOL rides on an IPMI session of its own at ipmiPort (same credentials), which SolConsole logs in when it opens.
  const sol = config.console && config.consoleMethod === 'ipmi' ? solSession(config, hooks) : undefined
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
    ipmi: sol,
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
      await Promise.all([client.close(), sol?.close()])
    },
  }
}

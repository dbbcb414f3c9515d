/**
 * The management plugin of a protocol `auto` node: it finds out whether the
 * BMC is a Redfish service and then behaves exactly as that protocol's
 * plugin (redfish-plugin.ts or ipmi-plugin.ts), which it creates and hands
 * every call to.
 *
 * The probe is one unauthenticated GET of the service root (/redfish/v1/,
 * which a Redfish service serves without credentials) at the node's `port`,
 * with the node's TLS choice, bounded by its connect timeout. A document
 * naming a RedfishVersion means Redfish; no answer, a refused connection or
 * an answer that is not a Redfish service root means IPMI at `ipmiPort`
 * (default 623). A certificate that does not verify (or is not the pinned
 * one) is the operator's to settle, never a reason to fall back: the login
 * fails with that error and the next attempt probes again.
 *
 * The answer is remembered in the node's learned profile (`protocol`) only
 * once a login over it succeeded, so a BMC that was down during the probe is
 * not taken for an IPMI one; a worker started from a profile that holds it
 * does not probe (resetting the profile probes again).
 */
import { DEFAULT_IPMI_PORT, type BmcConfig, type ManagementProtocol } from '../../src/bridge/messages.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { ServiceError } from '../../src/errors.js'
import { RedfishClient, SERVICE_ROOT } from '../../src/redfish/client.js'
import { DEFAULT_TIMING } from '../../src/session/config.js'
import { EMPTY_PROFILE, withProtocol, type LearnedProfile } from '../../src/session/profile.js'
import { ipmiManagement } from './ipmi-plugin.js'
import type { ManagementHooks, ManagementPlugin } from './plugins.js'
import { redfishClientConfig, redfishManagement } from './redfish-plugin.js'

/** Errors of the probe that mean "a Redfish service is there, but not trusted": reported, never fallen back from. */
const TRUST_FAILURES = new Set(['BMC_TLS_UNTRUSTED', 'BMC_TLS_CERT_CHANGED'])

/** What the probe found: the protocol to log in with and, for IPMI, why Redfish was not it (for the log line in details). */
export interface ProbeResult {
  protocol: ManagementProtocol
  why: string
}

/** True for a service root document (the RedfishVersion property is required of every one). */
export function isServiceRoot(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && typeof (doc as { RedfishVersion?: unknown }).RedfishVersion === 'string'
}

/** One GET of the service root at the node's Redfish port; never logs in, so it leaves no session behind. */
export async function probeRedfish(config: BmcConfig, deadline: number): Promise<ProbeResult> {
  const client = new RedfishClient({ ...redfishClientConfig(config), timing: { retries: 0, requestTimeoutMs: Math.max(1, deadline - Date.now()) } })
  try {
    const root = await client.serviceRoot({ deadline })
    return isServiceRoot(root) ? { protocol: 'redfish', why: 'the service root answered' } : { protocol: 'ipmi', why: `${SERVICE_ROOT} is not a Redfish service root` }
  } catch (e) {
    if (e instanceof ServiceError && TRUST_FAILURES.has(e.code)) throw e
    return { protocol: 'ipmi', why: e instanceof Error ? e.message : String(e) }
  } finally {
    await client.close()
  }
}

export function autoManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  const connectMs = config.timing?.connectTimeoutMs ?? DEFAULT_TIMING.connectTimeoutMs
  let profile: LearnedProfile = config.profile ?? EMPTY_PROFILE
  let inner: ManagementPlugin | undefined
  let closed = false
  // Ops run only with a session, so on the inner plugin's context; this one stands in until the probe answered.
  const beforeProbe = { sdr: new SdrCache() }

  const create = (protocol: ManagementProtocol): ManagementPlugin => {
    const concrete: BmcConfig = { ...config, protocol, ...(protocol === 'ipmi' ? { port: config.ipmiPort ?? DEFAULT_IPMI_PORT } : {}) }
    const innerHooks: ManagementHooks = {
      ...hooks,
      // What the inner client learns keeps the protocol: its reports replace the stored profile whole.
      learned: (p, entry) => {
        profile = withProtocol(p, profile.protocol)
        hooks.learned(profile, entry)
      },
    }
    return protocol === 'redfish' ? redfishManagement(concrete, innerHooks) : ipmiManagement(concrete, innerHooks)
  }

  const choose = async (): Promise<ManagementPlugin> => {
    if (inner !== undefined) return inner
    const protocol = profile.protocol ?? (await probeRedfish(config, Date.now() + connectMs)).protocol
    if (closed) throw new ServiceError('BMC_UNREACHABLE', 'the node was reconfigured while its Redfish probe ran')
    inner = create(protocol)
    return inner
  }

  return {
    get protocol() {
      return inner?.protocol ?? profile.protocol ?? 'ipmi'
    },
    get redfish() {
      return inner?.redfish
    },
    get ipmi() {
      return inner?.ipmi
    },
    connect: async () => {
      const m = await choose()
      try {
        await m.connect()
      } catch (e) {
        // A probed (not yet remembered) answer is tried once: the next attempt probes again.
        if (profile.protocol === undefined) {
          inner = undefined
          await m.close().catch(() => undefined)
        }
        throw e
      }
      if (profile.protocol === undefined) {
        profile = withProtocol(profile, m.protocol)
        hooks.learned(profile, undefined)
      }
    },
    runner: (remainingMs) => {
      if (inner === undefined) return { run: () => Promise.reject(new ServiceError('BMC_UNREACHABLE', 'no session with the BMC yet (its protocol is still being probed)')) }
      return inner.runner(remainingMs)
    },
    get opContext() {
      return inner?.opContext ?? beforeProbe
    },
    info: () => inner?.info() ?? null,
    get hasSession() {
      return inner?.hasSession ?? false
    },
    takeCounters: () => inner?.takeCounters() ?? { retransmits: 0, droppedPackets: 0, relaxedChecks: 0 },
    close: async () => {
      closed = true
      await inner?.close()
    },
  }
}

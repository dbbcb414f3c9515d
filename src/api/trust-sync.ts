/**
 * Trust on first use, the main thread's half: a worker that trusted what a
 * BMC showed (an SSH console's host key with no `console.hostKey`, a Redfish
 * node's TLS certificate under `tls.mode` pin with no fingerprint) reports it
 * (`trust:learned`), and the node's pin is stored here, once: a pin already
 * set is never overwritten (the worker was configured with it, so a report
 * can only come from an older configuration), and the change is audited as
 * the system's. The supervisor already runs with the pin
 * (Supervisor.adoptTrust), so storing it reconnects nothing.
 */
import { assertNever, mayUseRedfish, type TrustLearned } from '../bridge/messages.js'
import type { Logger } from '../log.js'
import type { AuditRepo, NodeRecord, NodeRepo } from '../store/types.js'

export interface TrustSource {
  on(event: 'trust:learned', listener: (node: string, msg: TrustLearned) => void): unknown
  off(event: 'trust:learned', listener: (node: string, msg: TrustLearned) => void): unknown
}

/** The node with the learned pin, or undefined when the node does not take it (another method or mode, or pinned already). */
function withPin(n: NodeRecord, msg: TrustLearned): NodeRecord | undefined {
  switch (msg.what) {
    case 'tls-certificate': {
      const tls = n.bmc.tls
      if (!mayUseRedfish(n.bmc.protocol) || tls?.mode !== 'pin' || tls.fingerprint !== undefined) return undefined
      return { ...n, bmc: { ...n.bmc, tls: { ...tls, fingerprint: msg.fingerprint } } }
    }
    case 'ssh-host-key':
      if (n.console.method !== 'ssh' || n.console.hostKey !== undefined) return undefined
      return { ...n, console: { ...n.console, hostKey: msg.fingerprint } }
    default:
      return assertNever(msg.what)
  }
}

export interface TrustSync {
  /** Stops listening; reports already taken are still stored (idle). */
  stop(): void
  /** Resolves once every report taken so far is stored (or refused). */
  idle(): Promise<void>
}

export function storeLearnedTrust(source: TrustSource, nodes: NodeRepo, audit: AuditRepo, logger: Logger): TrustSync {
  const store = async (node: string, msg: TrustLearned) => {
    const n = await nodes.get(node)
    const next = n === undefined ? undefined : withPin(n, msg)
    if (n === undefined || next === undefined) return
    try {
      await nodes.replace({ name: next.name, bmc: next.bmc, console: next.console, groups: next.groups }, n.revision)
    } catch (err) {
      // Changed meanwhile (CONFLICT): that configuration's worker trusts, and reports, on its own.
      logger.warn({ err, node, what: msg.what }, 'the fingerprint learned on first use was not stored')
      return
    }
    await audit.append({ actor: 'system', tokenId: null, action: 'node.trust-learned', target: node, detail: { what: msg.what, fingerprint: msg.fingerprint }, outcome: 'ok' })
    logger.info({ node, what: msg.what, fingerprint: msg.fingerprint }, 'trusted on first use and pinned')
  }
  // One report at a time, in order: a second report for a node finds the first one's pin stored.
  let tail: Promise<void> = Promise.resolve()
  const learned = (node: string, msg: TrustLearned) => {
    tail = tail.then(() => store(node, msg)).catch((err: unknown) => logger.error({ err, node, what: msg.what }, 'the fingerprint learned on first use was not stored'))
  }
  source.on('trust:learned', learned)
  return {
    stop: () => source.off('trust:learned', learned),
    idle: () => tail,
  }
}

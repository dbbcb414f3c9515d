/**
 * Trust on first use, the main thread's half: a worker that trusted what a
 * BMC showed (an SSH host key today; a TLS certificate for Redfish next)
 * reports it (`trust:learned`), and the node's pin is stored here, once:
 * a pin already set is never overwritten (the worker was configured with
 * it, so a report can only come from an older configuration), and the
 * change is audited as the system's. The supervisor already runs with the
 * pin (Supervisor.adoptTrust), so storing it reconnects nothing.
 */
import { assertNever, type TrustLearned } from '../bridge/messages.js'
import type { Logger } from '../log.js'
import type { AuditRepo, NodeRepo } from '../store/types.js'

export interface TrustSource {
  on(event: 'trust:learned', listener: (node: string, msg: TrustLearned) => void): unknown
  off(event: 'trust:learned', listener: (node: string, msg: TrustLearned) => void): unknown
}

export function storeLearnedTrust(source: TrustSource, nodes: NodeRepo, audit: AuditRepo, logger: Logger): () => void {
  const learned = (node: string, msg: TrustLearned) => {
    switch (msg.what) {
      case 'ssh-host-key': {
        const n = nodes.get(node)
        if (n === undefined || n.console.method !== 'ssh' || n.console.hostKey !== undefined) return
        try {
          nodes.replace({ name: n.name, bmc: n.bmc, console: { ...n.console, hostKey: msg.fingerprint }, groups: n.groups }, n.revision)
        } catch (err) {
          // Changed meanwhile (CONFLICT): that configuration's worker trusts, and reports, on its own.
          logger.warn({ err, node }, 'the SSH host key learned on first use was not stored')
          return
        }
        audit.append({ actor: 'system', tokenId: null, action: 'node.trust-learned', target: node, detail: { what: msg.what, fingerprint: msg.fingerprint }, outcome: 'ok' })
        logger.info({ node, fingerprint: msg.fingerprint }, 'SSH host key trusted on first use and pinned as console.hostKey')
        return
      }
      case 'tls-certificate':
        return // no node field pins a certificate yet
      default:
        assertNever(msg.what)
    }
  }
  source.on('trust:learned', learned)
  return () => source.off('trust:learned', learned)
}

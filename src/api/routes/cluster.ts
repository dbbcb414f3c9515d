/**
 * The cluster as this instance sees it (docs/cluster.md), a plugin that
 * buildApp() registers under /api/v1 (src/main.ts passes `clusterPlugin(...)`):
 *   GET  /cluster                      members (epoch, address, lease age and
 *                                      time left on the database's clock, draining,
 *                                      drained, node count) and the node -> owner map (viewer)
 *   POST /cluster/members/{id}/drain   the member's nodes move to the others; the
 *                                      answer says whether it has already stopped them all (admin, audited)
 * With the SQLite store there is no cluster: GET says `enabled: false` (this
 * one instance runs every node) and a drain is CONFLICT.
 */
import { Type } from 'typebox'
import { ServiceError } from '../../errors.js'
import type { ApiInstance, ApiPlugin } from '../app.js'
import { audit, auditOutcome } from '../auth.js'
import { withErrors } from '../schemas.js'

/** One member as the cluster reports it (src/cluster/membership.ts Member). */
export interface ClusterMemberPort {
  id: string
  epoch: number
  address: string
  draining: boolean
  /** The member list its running nodes derive from (it has stopped what it does not own under it). */
  applied: readonly string[]
  renewedAgoMs: number
  leaseLeftMs: number
}

/** What the routes need of src/cluster's Cluster. */
export interface ClusterPort {
  status(): Promise<{ self: string; epoch: number | undefined; held: boolean; members: ClusterMemberPort[]; owners: Record<string, string> }>
  /** False when `id` is not a live member. */
  drain(id: string): Promise<boolean>
}

const MemberView = Type.Object({
  id: Type.String(),
  epoch: Type.Integer({ description: 'New at every join (a sequence): the fencing token of the member\'s writes.' }),
  address: Type.String({ description: 'The URL other instances reach it at.' }),
  self: Type.Boolean({ description: 'This is the instance that answered.' }),
  leaseAgeMs: Type.Integer({ description: 'Milliseconds since its last renewal, on the database\'s clock.' }),
  leaseLeftMs: Type.Integer({ description: 'Milliseconds until its lease expires, on the database\'s clock.' }),
  draining: Type.Boolean(),
  drained: Type.Boolean({ description: 'Draining, and it has stopped every node it ran: it can be stopped without a failover.' }),
  nodes: Type.Integer({ description: 'Nodes it owns under the current member list.' }),
}, { additionalProperties: false })

const ClusterView = Type.Object({
  enabled: Type.Boolean({ description: 'false with the SQLite store: one instance runs every node.' }),
  self: Type.Union([Type.String(), Type.Null()]),
  epoch: Type.Union([Type.Integer(), Type.Null()], { description: 'This instance\'s epoch while it holds its lease.' }),
  held: Type.Boolean({ description: 'This instance holds its lease (it may run nodes).' }),
  members: Type.Array(MemberView),
  owners: Type.Record(Type.String(), Type.String(), { description: 'Node name -> the id of the member that owns it.' }),
}, { additionalProperties: false })

const MemberParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) })

const DrainView = Type.Object({ id: Type.String(), draining: Type.Boolean(), drained: Type.Boolean() }, { additionalProperties: false })

/** Whether a draining member has stopped every node (its applied list leaves itself out). */
export function drained(m: ClusterMemberPort): boolean {
  return m.draining && !m.applied.includes(m.id)
}

/** The cluster routes; `cluster` undefined with the SQLite store. */
export function clusterPlugin(cluster: ClusterPort | undefined): ApiPlugin {
  return async (instance) => {
    const app = instance as unknown as ApiInstance
    app.get('/cluster', {
      config: { role: 'viewer' },
      schema: { summary: 'Cluster members, their leases and the node -> owner map', tags: ['cluster'], response: withErrors({ 200: ClusterView }) },
    }, async () => {
      if (cluster === undefined) return { enabled: false, self: null, epoch: null, held: true, members: [], owners: {} }
      const s = await cluster.status()
      const counts = new Map<string, number>()
      for (const o of Object.values(s.owners)) counts.set(o, (counts.get(o) ?? 0) + 1)
      return {
        enabled: true, self: s.self, epoch: s.epoch ?? null, held: s.held, owners: s.owners,
        members: s.members.map((m) => ({
          id: m.id, epoch: m.epoch, address: m.address, self: m.id === s.self,
          leaseAgeMs: Math.max(0, Math.round(m.renewedAgoMs)), leaseLeftMs: Math.max(0, Math.round(m.leaseLeftMs)),
          draining: m.draining, drained: drained(m), nodes: counts.get(m.id) ?? 0,
        })),
      }
    })

    app.post('/cluster/members/:id/drain', {
      config: { role: 'admin' },
      schema: {
        summary: 'Drain a member: its nodes move to the others; repeat to see when it is drained', tags: ['cluster'],
        params: MemberParams, response: withErrors({ 202: DrainView }),
      },
    }, async (req, reply) => {
      const { id } = req.params
      try {
        if (cluster === undefined) throw new ServiceError('CONFLICT', 'there is no cluster: this instance runs on the SQLite store and owns every node', { details: { member: id } })
        if (!(await cluster.drain(id))) throw new ServiceError('NOT_FOUND', `no live cluster member ${id}`, { details: { member: id } })
        const m = (await cluster.status()).members.find((x) => x.id === id)
        audit(req, 'cluster.drain', { target: id, outcome: 'ok' })
        return reply.code(202).send({ id, draining: true, drained: m !== undefined && drained(m) })
      } catch (e) {
        audit(req, 'cluster.drain', { target: id, outcome: auditOutcome(e) })
        throw e
      }
    })
  }
}

/**
 * A node's BMC profile: `GET nodes/{node}/bmc/profile` shows what its client
 * learned about the BMC (each workaround, when, what it saw) and the
 * workarounds configured in bmc.workarounds, with what each changes in
 * bmcvisor; `DELETE` forgets what was learned (operator, audited): the
 * node's worker logs in again from the configured workarounds alone.
 * The learned part is the store's (bmc_profiles), written by main.ts from the
 * supervisor's 'bmc:profile' events.
 */
import { Type, type Static } from 'typebox'
import { parseWorkarounds, profileRows, reviveProfile, WORKAROUND_NAMES } from '../../bridge/profile.js'
import { ServiceError } from '../../errors.js'
import type { NodeRecord, ProfileRepo } from '../../store/types.js'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit } from '../auth.js'
import { NodeParams, withErrors } from '../schemas.js'

export const ProfileEntryView = Type.Object({
  name: Type.Enum([...WORKAROUND_NAMES]),
  source: Type.Enum(['learned', 'configured'], { description: 'learned: the client detected it; configured: set in bmc.workarounds.' }),
  changes: Type.String({ description: 'What it changes in bmcvisor, in one sentence.' }),
  relaxesSecurity: Type.Boolean({ description: 'It relaxes a security check or lowers the cipher suite (also logged and counted in bmcvisor_bmc_relaxed_checks_total or shown in bmcvisor_bmc_profile_entry).' }),
  handling: Type.Enum(['detected', 'built-in', 'ignored'], { description: 'detected: bmcvisor notices and adapts by itself; built-in: it always behaves this way; ignored: no effect in bmcvisor.' }),
  effective: Type.Boolean({ description: 'False for built-in and ignored names: no effect in bmcvisor.' }),
  detail: Type.Optional(Type.String({ description: 'learned: what the client saw.' })),
  learnedAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false })

export const ProfileView = Type.Object({
  node: Type.String(),
  cipherSuite: Type.Union([Type.Integer(), Type.Null()], { description: 'The cipher suite the client learned to use at once (when a learned entry made it worth remembering); null: none.' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the learned part last changed; null: nothing learned.' }),
  entries: Type.Array(ProfileEntryView),
}, { additionalProperties: false })
export type ProfileView = Static<typeof ProfileView>

/** The profile view of one node (the CLI's `node show` prints the same). */
export async function profileView(node: NodeRecord, profiles: ProfileRepo): Promise<ProfileView> {
  const stored = await profiles.get(node.name)
  const learned = reviveProfile(stored?.profile)
  const configured = parseWorkarounds(node.bmc.workarounds ?? []).names
  return {
    node: node.name,
    cipherSuite: learned.cipherSuite ?? null,
    updatedAt: stored !== undefined && learned.entries.length > 0 ? stored.updatedAt : null,
    entries: profileRows(learned, configured),
  }
}

export async function profileRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  const require = async (name: string): Promise<NodeRecord> => {
    const n = await ctx.store.nodes.get(name)
    if (n === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${name}`, { details: { node: name } })
    return n
  }

  app.get('/nodes/:node/bmc/profile', {
    config: { role: 'viewer' },
    schema: {
      summary: "The node's BMC profile: workarounds learned by its client (what, when, what each changes) and configured in bmc.workarounds", tags: ['nodes'],
      params: NodeParams, response: withErrors({ 200: ProfileView }),
    },
  }, async (req) => profileView(await require(req.params.node), ctx.store.profiles))

  app.delete('/nodes/:node/bmc/profile', {
    config: { role: 'operator', owner: true },
    schema: {
      summary: "Forget what the node's client learned about its BMC: the worker logs in again and learns anew (configured workarounds stay)", tags: ['nodes'],
      params: NodeParams, response: withErrors({ 204: Type.Null() }),
    },
  }, async (req, reply) => {
    const node = await require(req.params.node)
    const had = reviveProfile((await ctx.store.profiles.get(node.name))?.profile).entries.map((e) => e.name)
    if (ctx.supervisor.has(node.name)) ctx.supervisor.resetProfile(node.name)
    await ctx.store.profiles.reset(node.name)
    audit(req, 'bmc.profile.reset', { target: node.name, outcome: 'ok', forgotten: had })
    return reply.code(204).send(null)
  })
}

// The inter-instance channel's signatures (src/cluster/forward-auth.ts), no sockets: a signed forward verifies
// once; a replay, a stale or future timestamp, a wrong epoch, a changed principal, method, URL or body, another
// key, a missing MAC are each refused with FORWARD_REJECTED and the reason; the answer's signature binds the
// request's nonce, the answering member and the status.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SecretBox } from '../../../src/store/secret-box.js'
import {
  checkBody, FORWARD_HEADER, FORWARD_KEY_LABEL, FORWARD_MAC_HEADER, FORWARD_SKEW_MS, ReplayCache, signReply, signRequest, verifyReply, verifyRequest,
  type ForwardPrincipal,
} from '../../../src/cluster/forward-auth.js'
import type { ServiceError } from '../../../src/errors.js'

const KEY = new SecretBox(Buffer.alloc(32, 7)).derive(FORWARD_KEY_LABEL)
const OTHER = new SecretBox(Buffer.alloc(32, 8)).derive(FORWARD_KEY_LABEL)
const VIEWER: ForwardPrincipal = { tokenId: 't1', role: 'viewer', name: 'alice', expiresAt: null }
const LIVE = new Map([['m1', 4]])
const live = async (m: string, e: number) => LIVE.get(m) === e
const T0 = 1_800_000_000_000

function signed(o: { member?: string; epoch?: number; principal?: ForwardPrincipal; body?: string; now?: number; key?: Buffer } = {}) {
  return signRequest(o.key ?? KEY, { member: o.member ?? 'm1', epoch: o.epoch ?? 4, principal: o.principal ?? VIEWER, method: 'PUT', url: '/api/v1/nodes/n1/power', body: o.body ?? '{"state":"on"}', now: o.now ?? T0 })
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    const err = e as ServiceError
    assert.equal(err.code, 'FORWARD_REJECTED')
    return String(err.details.reason)
  }
  assert.fail('accepted')
}

const verify = (h: Record<string, string | undefined>, o: { method?: string; url?: string; now?: number; cache?: ReplayCache } = {}) =>
  verifyRequest(KEY, o.cache ?? new ReplayCache(), { method: o.method ?? 'PUT', url: o.url ?? '/api/v1/nodes/n1/power', encoded: h[FORWARD_HEADER], mac: h[FORWARD_MAC_HEADER], live, now: o.now ?? T0 + 5 })

describe('forward signatures', () => {
  it('a signed forward verifies once, with its principal; the same headers again are a replay', async () => {
    const { headers, nonce } = signed()
    const cache = new ReplayCache()
    const claim = await verify(headers, { cache })
    assert.deepEqual([claim.member, claim.epoch, claim.nonce, claim.principal], ['m1', 4, nonce, VIEWER])
    checkBody(claim, '{"state":"on"}')
    assert.equal(await refusal(verify(headers, { cache })), 'replayed')
  })

  it('unsigned, forged (other key, changed method, URL or principal), malformed', async () => {
    const { headers } = signed()
    assert.equal(await refusal(verify({})), 'unsigned')
    assert.equal(await refusal(verify({ [FORWARD_HEADER]: headers[FORWARD_HEADER] })), 'unsigned')
    assert.equal(await refusal(verify(signed({ key: OTHER }).headers)), 'forged')
    assert.equal(await refusal(verify(headers, { method: 'GET' })), 'forged')
    assert.equal(await refusal(verify(headers, { url: '/api/v1/nodes/n2/power' })), 'forged')
    // A caller who saw a viewer's forward cannot make it an admin's: the claim is under the MAC.
    const claim = JSON.parse(Buffer.from(headers[FORWARD_HEADER]!, 'base64url').toString()) as { principal: ForwardPrincipal }
    claim.principal = { ...claim.principal, role: 'admin', name: 'root' }
    const posed = { ...headers, [FORWARD_HEADER]: Buffer.from(JSON.stringify(claim)).toString('base64url') }
    assert.equal(await refusal(verify(posed)), 'forged')
    const junk = signRequest(KEY, { member: 'm1', epoch: 4, principal: { ...VIEWER, role: 'root' as never }, method: 'PUT', url: '/api/v1/nodes/n1/power', now: T0 })
    assert.equal(await refusal(verify(junk.headers)), 'malformed')
  })

  it('a changed body fails its digest', async () => {
    const { headers } = signed()
    const claim = await verify(headers)
    assert.throws(() => checkBody(claim, '{"state":"off"}'), (e: ServiceError) => e.code === 'FORWARD_REJECTED' && e.details.reason === 'forged')
    assert.throws(() => checkBody(claim, undefined), (e: ServiceError) => e.code === 'FORWARD_REJECTED')
  })

  it('outside the skew window either way: expired', async () => {
    assert.equal(await refusal(verify(signed({ now: T0 - FORWARD_SKEW_MS - 1 }).headers, { now: T0 })), 'expired')
    assert.equal(await refusal(verify(signed({ now: T0 + FORWARD_SKEW_MS + 1 }).headers, { now: T0 })), 'expired')
    await verify(signed({ now: T0 - FORWARD_SKEW_MS + 10 }).headers, { now: T0 })
  })

  it('a member that is not live with that epoch (an old epoch after a rejoin, an unknown id)', async () => {
    assert.equal(await refusal(verify(signed({ epoch: 3 }).headers)), 'not_member')
    assert.equal(await refusal(verify(signed({ member: 'm9' }).headers)), 'not_member')
  })

  it('the replay cache forgets only what the window refuses anyway, and refuses when full', () => {
    const cache = new ReplayCache(1000, 2)
    assert.equal(cache.admit('a', 0), true)
    assert.equal(cache.admit('b', 10), true)
    assert.equal(cache.admit('c', 20), false, 'full')
    assert.equal(cache.admit('a', 1500), false, 'still remembered within twice the window')
    assert.equal(cache.admit('c', 2005), true, 'a is gone, so there is room')
    assert.equal(cache.size, 2)
  })

  it('the answer is bound to the nonce, the member and the status', () => {
    const { nonce } = signed()
    const h = new Map(Object.entries(signReply(KEY, nonce, 'm2', 9, 200)))
    const get = { get: (k: string) => h.get(k) }
    assert.equal(verifyReply(KEY, nonce, 'm2', 200, get), true)
    assert.equal(verifyReply(KEY, nonce, 'm2', 500, get), false)
    assert.equal(verifyReply(KEY, nonce, 'm3', 200, get), false)
    assert.equal(verifyReply(KEY, signed().nonce, 'm2', 200, get), false)
    assert.equal(verifyReply(OTHER, nonce, 'm2', 200, get), false)
    assert.equal(verifyReply(KEY, nonce, 'm2', 200, { get: () => undefined }), false)
  })
})

/**
 * The fleet page through any instance (docs/cluster.md, "Forwarding"): a
 * node's live row (power, session, console, worker) is only known on its
 * owner, so every other member's rows are read from it, signed like any
 * forward, as this member (`GET /api/v1/fleet`, which a member answers with
 * the rows of the nodes it owns only), at most every `maxAgeMs`, and while
 * anyone watches the feed, every `maxAgeMs` on a timer so that changes reach
 * the page's event stream. A member that does not answer keeps its last rows
 * for one more period, then its nodes show as this instance sees them.
 */
import type { ForwardCluster, Forwarder } from './forward.js'
import type { ForwardPrincipal } from './forward-auth.js'

/** How old another member's rows may be when shown. */
export const REMOTE_ROWS_MAX_AGE_MS = 2000

export class RemoteRows<Row extends { name: string }> {
  readonly #forwarder: Forwarder
  readonly #maxAgeMs: number
  #rows = new Map<string, Row>()
  #readAt = -Infinity
  #reading: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #changed: (() => void) | undefined

  constructor(forwarder: Forwarder, maxAgeMs = REMOTE_ROWS_MAX_AGE_MS) {
    this.#forwarder = forwarder
    this.#maxAgeMs = maxAgeMs
  }

  /** Whether another live member owns the node (its row comes from there). */
  elsewhere(node: string): boolean {
    const c = this.#forwarder.cluster
    const owner = c?.ownerOf(node)
    return owner !== undefined && owner.id !== c?.self()?.id
  }

  /** The owner's row of a node another member owns, as last read. */
  row(node: string): Row | undefined {
    return this.elsewhere(node) ? this.#rows.get(node) : undefined
  }

  /** Reads the other members' rows when the last read is older than the maximum age. */
  fresh(): Promise<void> {
    if (performance.now() - this.#readAt < this.#maxAgeMs) return Promise.resolve()
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined))
    return this.#reading
  }

  /** Reads on a timer until the returned function is called; `changed` after each read that changed a row. */
  watch(changed: () => void): () => void {
    this.#changed = changed
    this.#timer = setInterval(() => void this.fresh(), this.#maxAgeMs).unref()
    return () => {
      clearInterval(this.#timer)
      this.#changed = undefined
    }
  }

  async #read(): Promise<void> {
    const c = this.#forwarder.cluster
    const self = c?.self()
    if (c === undefined || self === undefined) return
    const as: ForwardPrincipal = { tokenId: `member:${self.id}`, role: 'viewer', name: `cluster member ${self.id}`, expiresAt: null }
    const next = new Map<string, Row>()
    await Promise.all(others(c, self.id).map(async (m) => {
      try {
        // A member that does not answer within the period must not hold the page up.
        const r = await this.#forwarder.send(m, as, 'GET', '/api/v1/fleet', undefined, false, 'application/json', this.#maxAgeMs)
        if (r.kind === 'answer' && r.status === 200) {
          for (const row of ((await r.response.json()) as { nodes: Row[] }).nodes) next.set(row.name, row)
          return
        }
        if (r.kind === 'answer') await r.response.body?.cancel()
      } catch {
        // unverified or broken: as unreachable
      }
      // Unreachable: its last rows stay for this period.
      for (const [n, row] of this.#rows) if (c.ownerOf(n)?.id === m.id) next.set(n, row)
    }))
    this.#readAt = performance.now()
    const before = JSON.stringify([...this.#rows])
    this.#rows = next
    if (JSON.stringify([...next]) !== before) this.#changed?.()
  }
}

function others(c: ForwardCluster, self: string) {
  return c.members().filter((m) => m.id !== self)
}

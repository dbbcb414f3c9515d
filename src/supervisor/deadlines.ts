/**
 * The deadlines of many calls on few timers. Calls whose deadlines fall in
 * the same slot of `slotMs` share one timer: a range request's calls to its
 * nodes all have the same deadline, so the batch costs one timer instead of
 * one per node. A call expires at its deadline or up to one slot later,
 * never earlier; one that was settled first is removed and never expires.
 */
export interface DeadlineOptions {
  slotMs: number
  /** Test hooks (default performance.now and setTimeout/clearTimeout). */
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

/** Where a call's deadline is kept, to remove it when the call settles first. */
export type DeadlineTicket = number

interface Slot {
  timer: unknown
  expire: Map<number, () => void>
}

export class Deadlines {
  private readonly slots = new Map<DeadlineTicket, Slot>()
  private readonly slotMs: number
  private readonly now: () => number
  private readonly setTimer: (fn: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void

  constructor(o: DeadlineOptions) {
    this.slotMs = o.slotMs
    this.now = o.now ?? (() => performance.now())
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
    this.clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout))
  }

  /** Calls `expire` once `ms` from now (up to one slot later) unless `remove(ticket, id)` came first; `id` is unique among live calls. */
  add(id: number, ms: number, expire: () => void): DeadlineTicket {
    const ticket = Math.ceil((this.now() + ms) / this.slotMs)
    let slot = this.slots.get(ticket)
    if (slot === undefined) {
      const s: Slot = { timer: undefined, expire: new Map() }
      s.timer = this.setTimer(() => this.fire(ticket, s), Math.max(0, ticket * this.slotMs - this.now()))
      this.slots.set(ticket, s)
      slot = s
    }
    slot.expire.set(id, expire)
    return ticket
  }

  remove(ticket: DeadlineTicket, id: number): void {
    const slot = this.slots.get(ticket)
    if (slot === undefined || !slot.expire.delete(id) || slot.expire.size > 0) return
    this.clearTimer(slot.timer)
    this.slots.delete(ticket)
  }

  /** Timers running now (one per slot with a live call). */
  get timers(): number {
    return this.slots.size
  }

  private fire(ticket: DeadlineTicket, slot: Slot): void {
    this.slots.delete(ticket)
    for (const expire of slot.expire.values()) expire()
  }
}

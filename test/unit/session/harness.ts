/**
 * Shared rig for the session tests: a Session (or IpmiClient) wired to a
 * SimBmc through the in-memory link, all on one ManualClock, with
 * deterministic randomness. `drive` advances the clock in steps while a
 * promise is pending, so retransmits, timeouts and keepalives happen in
 * simulated time with no sleeps. `watchUnhandled` fails a file that leaks a
 * rejected promise nobody handles.
 */
import { after } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../../src/session/clock.js'
import type { SessionConfig } from '../../../src/session/config.js'
import { Session } from '../../../src/session/session.js'
import { IpmiClient } from '../../../src/session/client.js'
import { Prng } from '../../../src/sim/prng.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import type { SimBmcConfig } from '../../../src/sim/state.js'
import { memoryLink, serveSim, type MemoryLink, type MemoryLinkOptions } from '../../fixtures/memory-transport.js'

export const ADMIN = { username: 'admin', password: 'password' }

/** Timing for tests: no jitter (reproducible), keepalive off unless a test turns it on. */
export const TEST_TIMING = { jitterRatio: 0, keepaliveMs: 0 }

export interface Rig {
  clock: ManualClock
  bmc: SimBmc
  link: MemoryLink
  session: Session
}

export interface RigOptions {
  bmc?: SimBmcConfig
  session?: Partial<SessionConfig>
  link?: Omit<MemoryLinkOptions, 'clock'>
  seed?: number
  /** Talk to this BMC (and its clock) instead of a new one: a second console of the same BMC. */
  on?: { bmc: SimBmc; clock: ManualClock }
}

export function rig(o: RigOptions = {}): Rig {
  const clock = new ManualClock()
  const bmc = new SimBmc({ powerOn: true, ...o.bmc }, { clock })
  const link = memoryLink({ ...o.link, clock })
  serveSim(link, bmc)
  const prng = new Prng(o.seed ?? 42)
  const cfg: SessionConfig = { ...ADMIN, ...o.session, timing: { ...TEST_TIMING, ...o.session?.timing } }
  const session = new Session(link.a, cfg, clock, (n) => prng.bytes(n))
  return { clock, bmc, link, session }
}

/** An IpmiClient whose every session gets a fresh link to the same SimBmc. */
export function clientRig(o: RigOptions = {}): { clock: ManualClock; bmc: SimBmc; client: IpmiClient; links: MemoryLink[] } {
  const clock = o.on?.clock ?? new ManualClock()
  const bmc = o.on?.bmc ?? new SimBmc({ powerOn: true, ...o.bmc }, { clock })
  const links: MemoryLink[] = []
  const cfg: SessionConfig = { ...ADMIN, ...o.session, timing: { ...TEST_TIMING, ...o.session?.timing } }
  const client = new IpmiClient({ host: 'sim' }, cfg, {
    clock,
    transportFactory: () => {
      const link = memoryLink({ ...o.link, seed: (o.link?.seed ?? 7) + links.length, clock })
      serveSim(link, bmc)
      links.push(link)
      return Promise.resolve(link.a)
    },
  })
  return { clock, bmc, client, links }
}

/** Lets every queued microtask and immediate run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Advances `clock` in `stepMs` steps until `p` settles (or `maxMs` of
 * simulated time pass, which fails the test). Resolves with p's outcome.
 */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 50, maxMs = 120_000): Promise<T> {
  let settled = false
  p.then(() => { settled = true }, () => { settled = true })
  const start = clock.now()
  await flush()
  while (!settled) {
    if (clock.now() - start > maxMs) assert.fail(`promise still pending after ${maxMs} ms of simulated time`)
    clock.advance(stepMs)
    await flush()
  }
  return p
}

/** Runs p to completion and returns the rejection (fails if it resolves). */
export async function driveToError(clock: ManualClock, p: Promise<unknown>, stepMs = 50, maxMs = 120_000): Promise<{ code: string; retryable: boolean; details: Record<string, unknown>; message: string }> {
  try {
    await drive(clock, p, stepMs, maxMs)
  } catch (e) {
    return e as { code: string; retryable: boolean; details: Record<string, unknown>; message: string }
  }
  return assert.fail('expected a rejection')
}

/** Fails the file if any promise rejection went unhandled while it ran. */
export function watchUnhandled(): void {
  const seen: unknown[] = []
  const listener = (reason: unknown) => {
    seen.push(reason)
  }
  process.on('unhandledRejection', listener)
  after(async () => {
    await flush()
    process.off('unhandledRejection', listener)
    assert.deepEqual(seen, [], 'unhandled promise rejections')
  })
}

// The connection engine (workers/engine) on a manual clock: no thread, no
// socket, no plugin. A small harness plays the driver: it arms and cancels
// timers on a ManualClock and records what the engine asks for.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, type TimerHandle } from '../../../src/session/clock.js'
import { ConnectionEngine, CONSOLE_PHASES, SESSION_PHASES } from '../../../workers/engine/engine.js'
import type { ConsoleTraits, EngineAction, EngineConfig, EngineInput } from '../../../workers/engine/types.js'
import type { WireError } from '../../../src/errors.js'

const SOL: ConsoleTraits = { needsSession: true, tellsConnected: true }
const EXEC: ConsoleTraits = { needsSession: false, tellsConnected: false }
const POLICY = { initialMs: 1000, maxMs: 8000 }
const cfg = (console: ConsoleTraits | 'none' = SOL, onDemand = false): EngineConfig => ({ console: console === 'none' ? undefined : console, onDemand, reconnect: POLICY })
const err = (code: string, reason?: string): WireError => ({ code, message: code, retryable: false, ...(reason ? { details: { reason } } : {}) })

class Harness {
  readonly clock = new ManualClock()
  readonly engine = new ConnectionEngine(() => 0)
  actions: EngineAction[] = []
  private readonly timers = new Map<string, TimerHandle>()

  feed(input: EngineInput): EngineAction[] {
    const out = this.engine.handle(input)
    this.actions.push(...out)
    for (const a of out) {
      const key = 'timer' in a ? `${a.generation}:${a.timer}` : ''
      if (a.type === 'arm-timer') {
        const g = a.generation
        const t = a.timer
        this.timers.set(key, this.clock.setTimeout(() => {
          this.timers.delete(key)
          this.feed({ type: 'timer', generation: g, timer: t })
        }, a.delayMs))
      } else if (a.type === 'cancel-timer') {
        const h = this.timers.get(key)
        if (h !== undefined) this.clock.clearTimeout(h)
        this.timers.delete(key)
      } else if (a.type === 'teardown') {
        for (const [k, h] of this.timers) if (k.startsWith(`${a.generation}:`)) this.clock.clearTimeout(h)
      }
    }
    return out
  }

  /** The reports since the last take, as `subject state reason`. */
  reports(): string[] {
    const r = this.actions.filter((a) => a.type === 'report').map((a) => `${a.subject} ${a.state}${a.reason ? ` ${a.reason}` : ''}`)
    return r
  }

  kinds(): string[] {
    return this.actions.filter((a) => a.type !== 'report').map((a) => (a.type === 'arm-timer' ? `arm ${a.timer} ${a.delayMs}` : a.type === 'cancel-timer' ? `cancel ${a.timer}` : a.type))
  }

  take(): { reports: string[]; kinds: string[] } {
    const r = { reports: this.reports(), kinds: this.kinds() }
    this.actions = []
    return r
  }

  lastAttempt(): number {
    const a = [...this.actions].reverse().find((x) => x.type === 'open-console')
    assert.ok(a?.type === 'open-console', 'an open-console action')
    return a.attempt
  }

  /** Configured and connected: session up, SOL up. */
  connected(generation = 1): void {
    this.feed({ type: 'configure', generation, config: cfg() })
    this.feed({ type: 'session-up', generation })
    this.feed({ type: 'console-up', generation, attempt: this.lastAttempt() })
    this.actions = []
  }
}

describe('connection engine: session', () => {
  it('connects, then opens the console only once the session is up, connecting until SOL is up (lesson 5)', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    assert.deepEqual(h.take(), { reports: ['session connecting', 'console connecting'], kinds: ['build', 'connect'] })
    h.feed({ type: 'session-up', generation: 1 })
    assert.deepEqual(h.take(), { reports: ['session connected'], kinds: ['open-console'] })
    h.feed({ type: 'console-up', generation: 1, attempt: 1 })
    assert.deepEqual(h.take(), { reports: ['console connected'], kinds: [] })
    assert.deepEqual(h.engine.phases, { session: 'connected', console: 'open' })
  })

  for (const [code, reason] of [['BMC_UNREACHABLE', 'unreachable'], ['BMC_PROTOCOL_ERROR', 'protocol'], ['SOL_REFUSED', 'sol_refused']] as const) {
    it(`a failed login (${code}) is an error with reason ${reason} for session and console, retried with growing back-off`, () => {
      const h = new Harness()
      h.feed({ type: 'configure', generation: 1, config: cfg() })
      h.take()
      h.feed({ type: 'session-failed', generation: 1, error: err(code) })
      assert.deepEqual(h.take(), { reports: [`session error ${reason}`, `console error ${reason}`], kinds: ['arm session 500'] })
      h.clock.advance(499)
      assert.deepEqual(h.take().kinds, [])
      h.clock.advance(1)
      assert.deepEqual(h.take(), { reports: ['session connecting', 'console connecting'], kinds: ['connect'] })
      h.feed({ type: 'session-failed', generation: 1, error: err(code) })
      assert.deepEqual(h.take().kinds, ['arm session 1000'])
    })
  }

  it('bad credentials wait for the login gate, not for a timer', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    h.take()
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_AUTH_FAILED') })
    assert.deepEqual(h.take(), { reports: ['session error bad_credentials', 'console error bad_credentials'], kinds: ['ask-login'] })
    assert.equal(h.clock.pending, 0)
    h.feed({ type: 'retry-now' })
    assert.deepEqual(h.take().kinds, [], 'a client attaching does not skip the gate')
    h.feed({ type: 'login-granted' })
    assert.deepEqual(h.take(), { reports: ['session connecting', 'console connecting'], kinds: ['connect'] })
  })

  it('a lost session is disconnected with its reason; its console ends with it and reopens after the new login', () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'session-lost', generation: 1, error: err('BMC_UNREACHABLE') })
    assert.deepEqual(h.take(), { reports: ['session disconnected unreachable', 'console error unreachable'], kinds: ['arm session 500'] })
    h.feed({ type: 'console-failed', generation: 1, attempt: 1, error: err('BMC_UNREACHABLE') })
    assert.equal(h.engine.stale, 1, "the old attempt's late failure is dropped and counted")
    h.clock.advance(500)
    h.feed({ type: 'session-up', generation: 1 })
    assert.deepEqual(h.take(), { reports: ['session connecting', 'console connecting', 'session connected'], kinds: ['connect', 'open-console'] })
  })

  it('an orderly session close takes SOL with it as sol_deactivated', () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'session-lost', generation: 1 })
    assert.deepEqual(h.take().reports, ['session disconnected closed', 'console error sol_deactivated'])
  })

  it('without a console, being logged in resets the back-off', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg('none') })
    assert.deepEqual(h.take(), { reports: ['session connecting'], kinds: ['build', 'connect'] })
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
    h.clock.advance(500)
    h.feed({ type: 'session-up', generation: 1 })
    h.feed({ type: 'session-lost', generation: 1, error: err('BMC_UNREACHABLE') })
    assert.ok(h.take().kinds.includes('arm session 500'))
  })
})

describe('connection engine: console', () => {
  for (const [code, reason] of [['SOL_BUSY', 'sol_busy'], ['SOL_DISABLED', 'sol_disabled'], ['SOL_REFUSED', 'sol_limit_reached'], ['BMC_UNREACHABLE', 'timeout']] as const) {
    it(`a console failure (${reason}) is reported with its reason and retried on the console timer, the session kept`, () => {
      const h = new Harness()
      h.feed({ type: 'configure', generation: 1, config: cfg() })
      h.feed({ type: 'session-up', generation: 1 })
      h.take()
      h.feed({ type: 'console-failed', generation: 1, attempt: 1, error: err(code, reason) })
      assert.deepEqual(h.take(), { reports: [`console error ${reason}`], kinds: ['arm console 500'] })
      h.clock.advance(500)
      assert.deepEqual(h.take(), { reports: ['console connecting'], kinds: ['open-console'] })
      assert.deepEqual(h.engine.phases, { session: 'connected', console: 'opening' })
    })
  }

  it('an open console that fails is error with its reason, then reopened; success resets the back-off', () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'console-failed', generation: 1, attempt: 1, error: err('BMC_SESSION_CLOSED', 'sol_deactivated') })
    assert.deepEqual(h.take(), { reports: ['console error sol_deactivated'], kinds: ['arm console 500'] })
    h.clock.advance(500)
    h.feed({ type: 'console-failed', generation: 1, attempt: 2, error: err('SOL_BUSY') })
    assert.deepEqual(h.take().kinds, ['open-console', 'arm console 1000'])
    h.clock.advance(1000)
    h.feed({ type: 'console-up', generation: 1, attempt: 3 })
    h.feed({ type: 'console-failed', generation: 1, attempt: 3, error: err('SOL_BUSY') })
    assert.deepEqual(h.take().kinds, ['open-console', 'arm console 500'])
  })

  it('a best-effort console (exec) runs without the session, and its start does not reset the back-off', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg(EXEC) })
    assert.deepEqual(h.take(), { reports: ['console connecting', 'session connecting'], kinds: ['build', 'open-console', 'connect'] })
    const delays: string[] = []
    for (let attempt = 1; attempt <= 4; attempt++) {
      h.feed({ type: 'console-up', generation: 1, attempt })
      h.feed({ type: 'console-failed', generation: 1, attempt, error: err('BMC_SESSION_CLOSED', 'exited') })
      const t = h.take()
      assert.deepEqual(t.reports.slice(-2), ['console connected', 'console error exited'])
      delays.push(t.kinds.at(-1)!)
      h.clock.advance(10_000)
    }
    assert.deepEqual(delays, ['arm console 500', 'arm console 1000', 'arm console 2000', 'arm console 4000'])
    h.take()
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
    assert.deepEqual(h.take().reports, ['session error unreachable'], 'its session failing is not its console failing')
  })

  it('a console that can tell (exec with a connected pattern) resets the back-off when connected', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg({ needsSession: false, tellsConnected: true }) })
    for (let attempt = 1; attempt <= 3; attempt++) {
      h.feed({ type: 'console-up', generation: 1, attempt })
      h.feed({ type: 'console-failed', generation: 1, attempt, error: err('BMC_SESSION_CLOSED', 'exited') })
      assert.equal(h.take().kinds.at(-1), 'arm console 500')
      h.clock.advance(10_000)
    }
  })

  it('a refused console (exec_disabled) is reported once and never opened', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg({ ...EXEC, refused: err('EXEC_CONSOLES_DISABLED', 'exec_disabled') }) })
    h.feed({ type: 'session-up', generation: 1 })
    h.feed({ type: 'reopen' })
    h.feed({ type: 'demand', wanted: true })
    assert.deepEqual(h.take(), { reports: ['console error exec_disabled', 'session connecting', 'session connected'], kinds: ['build', 'connect'] })
  })

  it('on demand: closed until wanted, opened when wanted, closed when no longer wanted', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg(SOL, true) })
    h.feed({ type: 'session-up', generation: 1 })
    assert.deepEqual(h.take(), { reports: ['session connecting', 'session connected'], kinds: ['build', 'connect'] })
    h.feed({ type: 'demand', wanted: true })
    assert.deepEqual(h.take(), { reports: ['console connecting'], kinds: ['open-console'] })
    h.feed({ type: 'console-up', generation: 1, attempt: 1 })
    h.feed({ type: 'demand', wanted: false })
    assert.deepEqual(h.take(), { reports: ['console connected'], kinds: ['close-console'] })
    h.feed({ type: 'console-closed', generation: 1, attempt: 1 })
    assert.deepEqual(h.take(), { reports: ['console disconnected'], kinds: [] })
    assert.deepEqual(h.engine.phases, { session: 'connected', console: 'idle' })
  })

  it('a demand drop while waiting to retry cancels the retry', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg(SOL, true) })
    h.feed({ type: 'demand', wanted: true })
    h.feed({ type: 'session-up', generation: 1 })
    h.feed({ type: 'console-failed', generation: 1, attempt: 1, error: err('SOL_BUSY') })
    h.take()
    h.feed({ type: 'demand', wanted: false })
    assert.deepEqual(h.take().kinds, ['cancel console'])
    h.clock.advance(10_000)
    assert.deepEqual(h.take().kinds, [])
  })

  it('reopen closes a connected console and opens it again at once; a waiting one retries now', () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'reopen' })
    assert.deepEqual(h.take().kinds, ['close-console'])
    h.feed({ type: 'console-closed', generation: 1, attempt: 1 })
    assert.deepEqual(h.take(), { reports: ['console disconnected', 'console connecting'], kinds: ['open-console'] })
    h.feed({ type: 'console-failed', generation: 1, attempt: 2, error: err('SOL_BUSY') })
    h.take()
    h.feed({ type: 'reopen' })
    assert.deepEqual(h.take().kinds, ['cancel console', 'open-console'])
  })

  it('retry-now skips the session wait with the back-off reset', () => {
    const h = new Harness()
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    for (let i = 0; i < 3; i++) {
      h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
      h.clock.advance(10_000)
    }
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
    h.take()
    h.feed({ type: 'retry-now' })
    assert.deepEqual(h.take().kinds, ['cancel session', 'connect'])
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
    assert.deepEqual(h.take().kinds, ['arm session 500'])
  })

  it("a console that ends by itself is disconnected and retried; an old attempt's events are stale", () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'console-closed', generation: 1, attempt: 1 })
    assert.deepEqual(h.take(), { reports: ['console disconnected'], kinds: ['arm console 500'] })
    h.feed({ type: 'console-up', generation: 1, attempt: 1 })
    assert.equal(h.engine.stale, 1)
    assert.deepEqual(h.take().kinds, [])
  })
})

/** Drives a fresh engine into each session x console phase it can reach, for the reconfiguration tests. */
const SETUPS: Record<string, (h: Harness) => void> = {
  'session connecting': (h) => h.feed({ type: 'configure', generation: 1, config: cfg() }),
  'session login-wait': (h) => {
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_AUTH_FAILED') })
  },
  'session retry-wait': (h) => {
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    h.feed({ type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') })
  },
  'console opening': (h) => {
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    h.feed({ type: 'session-up', generation: 1 })
  },
  'console open': (h) => h.connected(),
  'console closing': (h) => {
    h.connected()
    h.feed({ type: 'reopen' })
  },
  'console retry-wait': (h) => {
    h.feed({ type: 'configure', generation: 1, config: cfg() })
    h.feed({ type: 'session-up', generation: 1 })
    h.feed({ type: 'console-failed', generation: 1, attempt: 1, error: err('SOL_BUSY') })
  },
  'console idle (on demand)': (h) => {
    h.feed({ type: 'configure', generation: 1, config: cfg(SOL, true) })
    h.feed({ type: 'session-up', generation: 1 })
  },
}

describe('connection engine: reconfiguration (lessons 2-4)', () => {
  it('the setups cover every session and console phase', () => {
    const seen = new Set<string>()
    for (const setup of Object.values(SETUPS)) {
      const h = new Harness()
      setup(h)
      seen.add(`s:${h.engine.phases!.session}`).add(`c:${h.engine.phases!.console}`)
    }
    for (const p of SESSION_PHASES) assert.ok(seen.has(`s:${p}`), p)
    for (const p of CONSOLE_PHASES.filter((c) => c !== 'none' && c !== 'refused')) assert.ok(seen.has(`c:${p}`), p)
  })

  for (const [name, setup] of Object.entries(SETUPS)) {
    it(`in ${name}: the old generation is torn down before the new one is built, and its late events are dropped and counted`, () => {
      const h = new Harness()
      setup(h)
      h.take()
      h.feed({ type: 'configure', generation: 2, config: cfg() })
      assert.deepEqual(h.take(), { reports: [], kinds: ['teardown'] })
      assert.equal(h.engine.watchers, 1)
      const before = h.engine.stale
      for (const late of [
        { type: 'session-up', generation: 1 }, { type: 'session-lost', generation: 1 }, { type: 'console-up', generation: 1, attempt: 1 },
        { type: 'timer', generation: 1, timer: 'session' }, { type: 'session-failed', generation: 1, error: err('BMC_UNREACHABLE') },
      ] as EngineInput[]) h.feed(late)
      assert.equal(h.engine.stale - before, 5)
      assert.deepEqual(h.take().kinds, [])
      h.clock.advance(120_000)
      assert.deepEqual(h.take().kinds, [], 'no timer of the old generation fires')
      h.feed({ type: 'torn-down', generation: 1 })
      assert.deepEqual(h.take(), { reports: ['session connecting', 'console connecting'], kinds: ['build', 'connect'] })
      assert.equal(h.engine.generation, 2)
      assert.equal(h.engine.watchers, 1)
    })
  }

  it('1,000 reconfigurations in every state end with one watcher on the last generation', () => {
    const h = new Harness()
    const setups = Object.values(SETUPS)
    let builds = 0
    let maxWatchers = 0
    let generation = 1
    setups[0]!(h)
    for (let i = 0; i < 1000; i++) {
      generation++
      const out = h.feed({ type: 'configure', generation, config: cfg() })
      maxWatchers = Math.max(maxWatchers, h.engine.watchers)
      const torn = out.find((a) => a.type === 'teardown')
      // Every other change lands while the previous one is still closing.
      if (torn !== undefined && i % 2 === 0) h.feed({ type: 'torn-down', generation: torn.generation })
      if (h.engine.generation !== undefined) {
        // Bring the live one somewhere: up, failing, or waiting.
        const g = h.engine.generation
        if (i % 3 === 0) h.feed({ type: 'session-up', generation: g })
        else if (i % 3 === 1) h.feed({ type: 'session-failed', generation: g, error: err('BMC_UNREACHABLE') })
      }
      h.clock.advance(i % 7 === 0 ? 5000 : 1)
      maxWatchers = Math.max(maxWatchers, h.engine.watchers)
    }
    for (const a of h.actions) if (a.type === 'build') builds++
    const lastTorn = [...h.actions].reverse().find((a) => a.type === 'teardown')
    if (h.engine.generation !== generation && lastTorn?.type === 'teardown') h.feed({ type: 'torn-down', generation: lastTorn.generation })
    assert.equal(maxWatchers, 1)
    assert.equal(h.engine.watchers, 1)
    assert.equal(h.engine.generation, generation)
    assert.ok(builds <= 1001)
    const liveTimers = h.clock.pending
    assert.ok(liveTimers <= 2, `timers left: ${liveTimers}`)
  })

  it('stop tears the live generation down and builds nothing after', () => {
    const h = new Harness()
    h.connected()
    h.feed({ type: 'stop' })
    h.feed({ type: 'configure', generation: 2, config: cfg() })
    h.feed({ type: 'torn-down', generation: 1 })
    assert.deepEqual(h.take().kinds, ['teardown'])
    assert.equal(h.engine.watchers, 0)
  })
})

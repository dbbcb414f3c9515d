/**
 * Power transitions that take time, for the Redfish side of a simulated BMC:
 * ComputerSystem.Reset starts one, PowerState reads "PoweringOn" or
 * "PoweringOff" while it runs, and each step ends in the IPMI Chassis Control
 * handler (so the SEL, the console host and `ipmitool power status` see the
 * same change as an IPMI power command would cause).
 * Owns the pending steps and the one timer for the next step; the chassis
 * state itself stays in ChassisState. Redfish: DSP2046 ComputerSystem
 * ResetType and PowerState; IPMI: v2.0 §28.3 (Chassis Control).
 * Invariant: a power change that did not come from here (an IPMI Chassis
 * Control while we wait) abandons the pending transition, so the two sides
 * never fight; the chassis's action counters are the witness.
 */
import { CC } from '../context.js'
import type { SimClock } from '../faults.js'
import type { ChassisState } from '../state.js'

/** Chassis Control actions (IPMI v2.0 Table 28-4, data 1 b3:0). */
export const ChassisAction = { PowerDown: 0, PowerUp: 1, PowerCycle: 2, HardReset: 3, Nmi: 4, SoftShutdown: 5 } as const
export type ChassisAction = (typeof ChassisAction)[keyof typeof ChassisAction]

/** The ResetType values this system lists in ResetType@Redfish.AllowableValues. */
export const RESET_TYPES = ['On', 'ForceOn', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'PowerCycle', 'Nmi', 'PushPowerButton'] as const
export type ResetType = (typeof RESET_TYPES)[number]

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff'

export interface PowerTiming {
  /** Off to on (default 2000 ms). */
  onMs: number
  /** On to off, graceful or forced (default 1000 ms). */
  offMs: number
}

export const DEFAULT_POWER_TIMING: Readonly<PowerTiming> = Object.freeze({ onMs: 2000, offMs: 1000 })

/** What a reset request led to. */
export type ResetOutcome = 'started' | 'done' | 'no-op' | 'busy' | 'standby' | 'refused'

interface Step {
  action: ChassisAction
  atMs: number
}

export interface PowerDeps {
  clock: SimClock
  chassis: ChassisState
  /** Runs Chassis Control with this action through the BMC's registered handler; returns the completion code. */
  chassisControl(action: ChassisAction): number
}

function actionCount(c: ChassisState): number {
  const a = c.actions
  return a.powerDown + a.powerUp + a.powerCycle + a.hardReset + a.diagnosticInterrupt + a.softShutdown
}

export class PowerSequencer {
  private steps: Step[] = []
  private timer: unknown
  /** actionCount() after our last step: another value means someone else changed the power. */
  private witness = -1

  constructor(private readonly deps: PowerDeps, private readonly timing: Readonly<PowerTiming> = DEFAULT_POWER_TIMING) {}

  get state(): PowerState {
    this.abandonIfOverridden()
    const next = this.steps[0]
    if (next !== undefined) return next.action === ChassisAction.PowerUp ? 'PoweringOn' : 'PoweringOff'
    return this.deps.chassis.powerOn ? 'On' : 'Off'
  }

  get busy(): boolean {
    this.abandonIfOverridden()
    return this.steps.length > 0
  }

  reset(type: ResetType): ResetOutcome {
    if (this.busy) return 'busy'
    const on = this.deps.chassis.powerOn
    switch (type) {
      case 'On':
      case 'ForceOn':
        return on ? 'no-op' : this.start([ChassisAction.PowerUp])
      case 'ForceOff':
        return on ? this.start([ChassisAction.PowerDown]) : 'no-op'
      case 'GracefulShutdown':
        return on ? this.start([ChassisAction.SoftShutdown]) : 'no-op'
      case 'PushPowerButton':
        return this.start([on ? ChassisAction.SoftShutdown : ChassisAction.PowerUp])
      case 'PowerCycle':
        return on ? this.start([ChassisAction.PowerDown, ChassisAction.PowerUp]) : this.start([ChassisAction.PowerUp])
      case 'ForceRestart':
      case 'GracefulRestart':
        // The host restarts at once and stays on; there is no off phase to report.
        return this.now(ChassisAction.HardReset)
      case 'Nmi':
        return this.now(ChassisAction.Nmi)
      default: {
        const never: never = type
        throw new Error(`unknown reset type ${String(never)}`)
      }
    }
  }

  dispose(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.steps = []
  }

  private now(action: ChassisAction): ResetOutcome {
    if (!this.deps.chassis.powerOn) return 'standby'
    return this.deps.chassisControl(action) === CC.Ok ? 'done' : 'refused'
  }

  private start(actions: ChassisAction[]): ResetOutcome {
    let at = this.deps.clock.now()
    this.steps = actions.map((action) => {
      at += action === ChassisAction.PowerUp ? this.timing.onMs : this.timing.offMs
      return { action, atMs: at }
    })
    this.witness = actionCount(this.deps.chassis)
    this.arm()
    return 'started'
  }

  private arm(): void {
    const next = this.steps[0]
    if (next === undefined) return
    this.timer = this.deps.clock.setTimeout(() => this.fire(), Math.max(0, next.atMs - this.deps.clock.now()))
  }

  private fire(): void {
    this.timer = undefined
    this.abandonIfOverridden()
    const step = this.steps.shift()
    if (step === undefined) return
    this.deps.chassisControl(step.action)
    this.witness = actionCount(this.deps.chassis)
    this.arm()
  }

  private abandonIfOverridden(): void {
    if (this.steps.length === 0 || actionCount(this.deps.chassis) === this.witness) return
    this.dispose()
  }
}

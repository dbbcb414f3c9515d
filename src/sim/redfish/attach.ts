/**
 * Gives a SimBmc (with its SimHardware) a Redfish side: the power
 * sequencer, the Redfish session table and the service, all over the BMC's
 * own state. attachRedfish() opens no socket; server.ts serves the result.
 * Owns the sequencer's timer and the session table; a Cold Reset of the BMC
 * (IPMI or Manager.Reset) ends every Redfish session, as a rebooted BMC does.
 */
import { realClock, type SimClock } from '../faults.js'
import type { SimHardware } from '../hardware.js'
import type { SimBmc } from '../sim-bmc.js'
import { SESSION_IDLE_TIMEOUT_MS } from './accounts.js'
import { SessionTable } from './auth.js'
import { DEFAULT_POWER_TIMING, PowerSequencer, type ChassisAction, type PowerTiming } from './power.js'
import { RedfishService } from './service.js'
import type { RedfishView } from './view.js'

const CHASSIS_NETFN = 0x00
const CHASSIS_CONTROL = 0x02
/** Redfish sessions a BMC allows at once unless configured (real BMCs allow a handful to a few dozen). */
export const DEFAULT_REDFISH_SESSIONS = 8

export interface SimRedfishOptions {
  /** How long power transitions take (default on 2000 ms, off 1000 ms). */
  power?: Partial<PowerTiming>
  /** Redfish session limit (default 8). */
  maxSessions?: number
  /** A session unused this long ends (default SessionTimeout, 1800 s). */
  sessionIdleTimeoutMs?: number
  /** Wall time for DateTime properties (default Date.now). */
  wallClock?: () => number
  /** The clock the BMC runs on, for the power timers (default real time). */
  clock?: SimClock
}

export class SimRedfish {
  readonly service: RedfishService
  readonly power: PowerSequencer
  readonly sessions: SessionTable
  private readonly onColdReset = () => this.sessions.clear()

  constructor(readonly bmc: SimBmc, readonly hardware: SimHardware, opts: SimRedfishOptions = {}) {
    const clock = opts.clock ?? realClock
    this.power = new PowerSequencer({
      clock, chassis: bmc.chassis,
      chassisControl: (action: ChassisAction) => bmc.runCommand(CHASSIS_NETFN, CHASSIS_CONTROL, Buffer.from([action])).cc,
    }, { ...DEFAULT_POWER_TIMING, ...opts.power })
    this.sessions = new SessionTable(opts.maxSessions ?? DEFAULT_REDFISH_SESSIONS, opts.sessionIdleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS)
    const view: RedfishView = { bmc, hardware, power: this.power, sessions: this.sessions, wallNow: opts.wallClock ?? Date.now }
    this.service = new RedfishService(view)
    bmc.on('cold-reset', this.onColdReset)
  }

  dispose(): void {
    this.power.dispose()
    this.bmc.off('cold-reset', this.onColdReset)
  }
}

export function attachRedfish(bmc: SimBmc, hardware: SimHardware, opts: SimRedfishOptions = {}): SimRedfish {
  return new SimRedfish(bmc, hardware, opts)
}

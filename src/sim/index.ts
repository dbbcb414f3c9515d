/**
 * The BMC simulator: SimBmc (transport-agnostic, built on src/ipmi), a UDP
 * binding for loopback fleets, fault injection, SOL with a console host
 * (sol.ts, plugged into SimBmc's payload and command seams), sensors, SDRs,
 * FRU and SEL (hardware*.ts), a Redfish side over the same state (redfish/),
 * and startSimFleet(): many complete simulated
 * servers on consecutive loopback ports, for the demo and the benchmarks.
 */
export { SimBmc, type PayloadContext, type PayloadHandler, type Reply, type SimBmcDeps, type SimBmcStats, type SimDropReason } from './sim-bmc.js'
export { listenUdp, startFleet, type ListenOptions, type SimFleet, type SimUdpServer } from './udp-server.js'
export { NO_FAULTS, realClock, type FaultCounters, type SimClock, type SimFaults } from './faults.js'
export { CC, ok, fail, type CommandResult, type SimCommand, type SimContext, type SessionCloseReason } from './context.js'
export { SIM_SUITES } from './handshake.js'
export { Priv, LAN_CHANNEL, DEFAULT_GUID, type SimBmcConfig, type SimUserConfig, type SimUser, type RoleRefusal, type DuplicateMode } from './state.js'
export type { SimSession, SimSessionState } from './sessions.js'
export { Prng } from './prng.js'
export {
  startSimFleet, parseFaultSpec, SIM_FAULT_KINDS, type SimFault, type SimFaultKind, type SimFleetOptions, type SimFleetBmc, type SimFleetMember, type SimFleetHandle,
  type SimFleetRedfishOptions, type SimFleetRedfishEndpoint,
} from './fleet.js'
export * from './redfish/index.js'
export { attachSol, SimSol, type SimSolOptions, type SimSolStats } from './sol.js'
export { SolLink, DEFAULT_SOL_TIMING, type SolLinkTiming, type SolLinkStats } from './sol-link.js'
export { ConsoleHost, renderBootLog, type ConsoleHostOptions } from './console-host.js'
export { attachHardware } from './hardware-commands.js'
export { SimHardware, SimSensor, type SimHardwareOptions } from './hardware.js'
export { Ticker } from './ticker.js'

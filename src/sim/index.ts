/**
 * The BMC simulator: SimBmc (transport-agnostic, built on src/ipmi), a UDP
 * binding for loopback fleets, fault injection and the handler seams that
 * SOL plugs into (registerPayload for payload type 1, registerCommand for
 * the payload commands).
 */
export { SimBmc, type PayloadContext, type PayloadHandler, type Reply, type SimBmcDeps, type SimBmcStats, type SimDropReason } from './sim-bmc.js'
export { listenUdp, startFleet, type ListenOptions, type SimFleet, type SimUdpServer } from './udp-server.js'
export { NO_FAULTS, realClock, type FaultCounters, type SimClock, type SimFaults } from './faults.js'
export { CC, ok, fail, type CommandResult, type SimCommand, type SimContext, type SessionCloseReason } from './context.js'
export { SIM_SUITES } from './handshake.js'
export { Priv, LAN_CHANNEL, DEFAULT_GUID, type SimBmcConfig, type SimUserConfig, type SimUser, type RoleRefusal, type DuplicateMode } from './state.js'
export type { SimSession, SimSessionState } from './sessions.js'
export { Prng } from './prng.js'

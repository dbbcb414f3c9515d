/**
 * SOL console engine on an RMCP+ session (IPMI v2.0 §15, §24): SolConsole
 * for users, SolEngine for the data path, the activation helpers and the
 * failure reasons. See console.ts for the contract.
 */
export { SolConsole, type SolConsoleEvents, type SolConsoleOptions, type SolConsoleState } from './console.js'
export { SolEngine, clampPayloadSize, DEFAULT_SOL_TUNING, type SolEngineIo, type SolEngineStats, type SolEngineTuning, type SolRemoteStatus } from './engine.js'
export { activateSol, deactivateSol, solOwner, type SolActivation } from './activation.js'
export { SolError, solFailureReason, toSolError, type SolFailureReason } from './errors.js'
export { clientSource, sessionPort, type SolSessionPort, type SolSessionSource } from './session-port.js'

/**
 * The simulated BMC's Redfish side: attachRedfish() builds the service over
 * a SimBmc and its SimHardware (shared state, no copies), listenRedfish()
 * serves it on loopback HTTPS, makeCertificate() makes the fleet's
 * certificate. startSimFleet({ redfish }) wires all three.
 */
export { attachRedfish, SimRedfish, DEFAULT_REDFISH_SESSIONS, type SimRedfishOptions } from './attach.js'
export { listenRedfish, type RedfishServerOptions, type RedfishServerStats, type SimRedfishServer } from './server.js'
export { makeCertificate, type SimCertificate } from './tls.js'
export { RedfishService, type RedfishRequest, type RedfishResponse } from './service.js'
export { PowerSequencer, RESET_TYPES, DEFAULT_POWER_TIMING, type PowerState, type PowerTiming, type ResetType } from './power.js'
export { PATHS, SERVICE_ROOT, SYSTEM_ID, CHASSIS_ID, MANAGER_ID } from './odata.js'

/**
 * The service-wide error registry: every stable error code bmcvisor can
 * return, its HTTP status and one line of documentation. Codes raised by the
 * IPMI library (src/ipmi/errors.ts) are registered here too; a unit test
 * checks both directions, so a code cannot exist without a status and a doc.
 *
 * Across threads errors travel as WireError and are rebuilt by fromWire:
 * compare `err.code`, never `instanceof`. Messages never carry secrets.
 */
import type { ErrorDetails, IpmiErrorCode } from './ipmi/errors.js'

export interface ErrorSpec {
  status: number
  retryable: boolean
  doc: string
}

export const ERROR_CODES = {
  // Requests and access
  VALIDATION_FAILED: { status: 400, retryable: false, doc: 'The request (body, parameter or command line) is invalid; details name the field.' },
  UNAUTHORIZED: { status: 401, retryable: false, doc: 'No valid bearer token was given.' },
  FORBIDDEN: { status: 403, retryable: false, doc: "The token's role does not allow this." },
  CSRF_REJECTED: { status: 403, retryable: false, doc: "A request with the browser's session cookie came without its CSRF token, or a WebSocket with it came from another origin." },
  NODE_NOT_FOUND: { status: 404, retryable: false, doc: 'No node has this name.' },
  NODE_OWNED_ELSEWHERE: { status: 421, retryable: true, doc: "Only between cluster members: a request another member forwarded reached a member that no longer owns the node (it moved meanwhile); details name the owner this member sees. The forwarding member retries within the request's deadline, so clients see WORKER_UNAVAILABLE instead when the node keeps moving." },
  FORWARD_REJECTED: { status: 401, retryable: false, doc: "A request claiming to be forwarded by another cluster member was refused: its signature header is missing, malformed, forged, expired (outside the clock skew window), replayed, or from a member that is not live with that epoch; details.reason says which. Clients never send these headers." },
  FORWARD_UNVERIFIED: { status: 502, retryable: false, doc: "The cluster member a request was forwarded to kept answering without a valid signature over the request until the request's deadline (it does not hold the cluster's key, its lease lapsed, or something in between changed the answer); no answer was passed on." },
  MEMBER_UNREACHABLE: { status: 503, retryable: true, doc: "The cluster member that owns the node could not be reached within the request's deadline (details name it and its address); retry: when it is gone for good its nodes move to the other members within a lease." },
  CONFLICT: { status: 409, retryable: false, doc: 'The change conflicts with existing state (for example a node that already exists).' },
  NOT_FOUND: { status: 404, retryable: false, doc: 'No such route or resource (a token, a group); a missing node is NODE_NOT_FOUND.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, doc: 'The request body is larger than the server accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, doc: 'The request body has a content type the route does not accept (send application/json).' },
  RATE_LIMITED: { status: 429, retryable: true, doc: 'This token sent too many expensive requests (ranges, sensors, inventory, events, console reopen); retry after the Retry-After header\'s seconds.' },
  TOO_MANY_CONNECTIONS: { status: 429, retryable: true, doc: 'This token already holds as many WebSocket connections as the server allows; close one first.' },
  // BMC outcomes
  BMC_UNREACHABLE: { status: 504, retryable: true, doc: 'The BMC did not answer within the deadline (down, hung, wrong address, or packets lost).' },
  BMC_AUTH_FAILED: { status: 502, retryable: false, doc: 'The BMC rejected the credentials: wrong password (RAKP 2 check, or every SSH authentication method failed) or unknown user.' },
  BMC_HOST_KEY_MISMATCH: { status: 502, retryable: false, doc: "The BMC's SSH server showed a host key other than the node's pinned `console.hostKey` (details: expected and seen fingerprints); the console was not connected. If the BMC really changed, set the new key or remove the pin to trust the next one." },
  BMC_KG_MISMATCH: { status: 502, retryable: false, doc: 'The session keys do not match (RAKP 4 check): the BMC key K_G is wrong or missing.' },
  BMC_PRIVILEGE_REFUSED: { status: 502, retryable: false, doc: 'The BMC refused the requested privilege level for this user.' },
  BMC_NO_CIPHER_SUITE: { status: 502, retryable: false, doc: 'The BMC and bmcvisor share no usable cipher suite.' },
  BMC_INSECURE_CIPHER_SUITE: { status: 400, retryable: false, doc: 'Cipher suite 0 (no authentication) was asked for but the node does not explicitly allow it.' },
  BMC_COMMAND_FAILED: { status: 502, retryable: false, doc: 'The BMC answered with a non-zero completion code; details carry the code and its meaning.' },
  BMC_PROTOCOL_ERROR: { status: 502, retryable: false, doc: 'The BMC broke the protocol (unexpected status, no IPMI 2.0 support).' },
  BMC_BUSY: { status: 503, retryable: true, doc: 'The BMC is busy (completion code 0xC0, or no free session slot).' },
  BMC_SESSION_CLOSED: { status: 503, retryable: true, doc: 'The session to the BMC was closed while the request was pending.' },
  BMC_TLS_UNTRUSTED: { status: 502, retryable: false, doc: "The BMC's HTTPS certificate did not verify (tls mode verify: unknown CA, expired, or not issued for the BMC's address); details give the TLS reason. Give the CA bundle, or pin the certificate." },
  BMC_TLS_CERT_CHANGED: { status: 502, retryable: false, doc: "The BMC's HTTPS certificate is not the pinned one (tls mode pin): details give the expected and the seen SHA-256 fingerprints. If the BMC's certificate was renewed on purpose, store the new fingerprint." },
  BMC_NOT_SUPPORTED: { status: 501, retryable: false, doc: 'The BMC does not offer this operation or value: a reset type or boot target missing from its allowable values, a Redfish resource it lacks, or an operation with no form in its protocol; details say what it offers.' },
  BMC_TASK_TIMEOUT: { status: 504, retryable: false, doc: "A long Redfish action's task monitor still reported it running at the deadline: the action may yet complete; details give the task monitor's path." },
  IPMI_DECODE_ERROR: { status: 502, retryable: false, doc: 'A packet or field from the BMC could not be decoded.' },
  SOL_BUSY: { status: 409, retryable: false, doc: 'Another session holds the Serial-over-LAN console (completion code 0x80); force takes it over.' },
  SOL_DISABLED: { status: 409, retryable: false, doc: 'Serial-over-LAN is disabled on the BMC (completion code 0x81).' },
  SOL_REFUSED: { status: 502, retryable: false, doc: 'The BMC refused to activate Serial-over-LAN for another reason (limit, encryption).' },
  // Service
  EXEC_CONSOLES_DISABLED: { status: 409, retryable: false, doc: 'Exec consoles (a command the service runs) are turned off on this server; `serve --allow-exec-consoles` turns them on.' },
  WORKER_UNAVAILABLE: { status: 503, retryable: true, doc: "The node's worker is restarting or parked." },
  SHUTTING_DOWN: { status: 503, retryable: true, doc: 'The server is shutting down and takes no new requests; retry after it restarts.' },
  SEARCH_BUSY: { status: 503, retryable: true, doc: "The console log search pool's queue is full (other searches are running); retry shortly." },
  SEARCH_TIMEOUT: { status: 504, retryable: true, doc: "Scanning one console log file took longer than the search's per-file deadline; the search's summary names the node and file." },
  CONSOLE_LOG_UNREADABLE: { status: 500, retryable: false, doc: "A console log file could not be read or decompressed during a search (details give the system's reason); the search's summary names the node and file." },
  STORE_KEY_MISMATCH: { status: 500, retryable: false, doc: 'The secret key (secret.key or BMCVISOR_SECRET_KEY) does not open the credentials in this database; the service refuses to start.' },
  STORE_UNAVAILABLE: { status: 503, retryable: true, doc: 'The PostgreSQL store (serve --store, BMCVISOR_STORE) cannot be reached or refused the connection (details give the reason; never the password); at start the service refuses to start.' },
  STORE_SCHEMA_NEWER: { status: 500, retryable: false, doc: 'The database was migrated by a newer bmcvisor than this one (details give both schema versions); upgrade bmcvisor before it uses this database.' },
  CONFIG_INVALID: { status: 400, retryable: false, doc: 'The configuration is invalid and the service refuses to start: the configuration file (serve --config, BMCVISOR_CONFIG; the message names the file, the line and the key), or a file it names that cannot be read or used (a TLS certificate or key; details name the setting and the file).' },
  IMPORT_INVALID: { status: 400, retryable: false, doc: 'A node import file (conserver.cf, a confluent export, CSV) has an entry bmcvisor cannot use: the message names the file and the line.' },
  INTERNAL: { status: 500, retryable: false, doc: 'An unexpected error inside bmcvisor; the log has the stack.' },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERROR_CODES

// Every library code must be a registered service code (checked by the compiler).
const _libraryCodesRegistered: Record<IpmiErrorCode, ErrorSpec> = ERROR_CODES
void _libraryCodesRegistered

export interface WireError {
  code: string
  message: string
  retryable: boolean
  details?: ErrorDetails
}

export class ServiceError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly details: ErrorDetails

  /** `retryable` and the HTTP status are the registry's, never the thrower's (one source, ERROR_CODES). */
  constructor(code: ErrorCode, message: string, opts: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'ServiceError'
    this.code = code
    this.retryable = ERROR_CODES[code].retryable
    this.details = opts.details ?? {}
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

/** The wire form of any error: known codes keep theirs, anything else becomes INTERNAL. */
export function toWire(e: unknown): WireError {
  if (e !== null && typeof e === 'object' && 'code' in e && isErrorCode(e.code)) {
    const err = e as { code: ErrorCode; message?: unknown; details?: unknown }
    // retryable comes from the registry whatever the thrower set (an IpmiError carries its own).
    const out: WireError = { code: err.code, message: typeof err.message === 'string' ? err.message : err.code, retryable: ERROR_CODES[err.code].retryable }
    if (err.details !== null && typeof err.details === 'object' && Object.keys(err.details).length > 0) out.details = err.details as ErrorDetails
    return out
  }
  return { code: 'INTERNAL', message: 'internal error', retryable: false }
}

export function fromWire(w: WireError): ServiceError {
  const code = isErrorCode(w.code) ? w.code : 'INTERNAL'
  return new ServiceError(code, w.message, w.details ? { details: w.details } : {})
}

export function httpStatus(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].status : 500
}

/** Throws VALIDATION_FAILED naming `field` when `source` is not a JavaScript regular expression. */
export function checkRegExp(source: string, field: string): void {
  try {
    new RegExp(source)
  } catch {
    throw new ServiceError('VALIDATION_FAILED', `${field} is not a valid regular expression`, { details: { field } })
  }
}

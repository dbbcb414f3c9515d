/**
 * Close Session: IPMI v2.0 §22.19. Ends an RMCP+ session; the response is the
 * completion code only. Pure codec.
 * Hazard: the ID is the BMC's *managed system* session ID (the one we put in
 * every outbound header), not the remote console's. Deactivate SOL first, and
 * send this once without endless retries (pyghmi does likewise): a leaked
 * session holds one of the BMC's few slots until its idle timeout.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { checkRange } from './common.js'

export interface CloseSessionRequest {
  /** Managed system session ID, 4 bytes LE. */
  managedSystemSessionId: number
  /** Session handle, sent only when the ID is 0 (optional form some BMCs support). */
  sessionHandle?: number
}

export const CloseSession: IpmiCommand<CloseSessionRequest, void> = {
  name: 'Close Session',
  netFn: NetFn.App,
  cmd: 0x3c,
  ccMeanings: {
    0x87: 'invalid session ID in request',
    0x88: 'invalid session handle in request',
  },
  encode(req) {
    const id = checkRange('managedSystemSessionId', req.managedSystemSessionId, 0, 0xffffffff)
    const withHandle = id === 0 && req.sessionHandle !== undefined
    const out = Buffer.alloc(withHandle ? 5 : 4)
    out.writeUInt32LE(id, 0)
    if (withHandle) out[4] = checkRange('sessionHandle', req.sessionHandle ?? 0, 0, 0xff)
    return out
  },
  decode: () => undefined,
}

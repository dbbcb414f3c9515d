/**
 * The narrow view of an RMCP+ session that the SOL console needs, and the
 * adapter from IpmiClient/Session to it. Keeping SOL behind this seam lets
 * the console be stepped in unit tests with a fake BMC and a ManualClock,
 * and keeps src/sol off the session's internals.
 * Owns nothing: the session stays its owner's (IpmiClient's).
 */
import type { IpmiError } from '../ipmi/errors.js'
import type { IpmiClient } from '../session/client.js'
import type { WorkaroundName } from '../session/profile.js'
import type { RawResponse, RequestOptions } from '../session/request-table.js'
import type { Session, SessionState } from '../session/session.js'

export interface SolSessionHandlers {
  /** A SOL payload arrived (integrity-checked and decrypted). */
  sol(payload: Buffer): void
  /** The session ended; `error` says why (BMC_UNREACHABLE when the BMC was lost). */
  closed(error: IpmiError | undefined): void
  /** A Chassis Control that restarts the host (power up, cycle, hard reset) succeeded on this session. */
  hostPower?(): void
}

export interface SolSessionPort {
  /** The BMC's ID for this session: what Get Payload Instance Info names as the SOL owner. */
  readonly managedSystemSessionId: number
  readonly cipherSuite: number
  /** The UDP port the session talks to (to check the port Activate Payload reports). */
  readonly bmcPort: number
  request(netFn: number, cmd: number, data: Uint8Array, opts?: RequestOptions): Promise<RawResponse>
  sendSol(payload: Buffer): void
  /** Marks the session lost without a Close Session (the BMC is gone). */
  lose(error: IpmiError): void
  /** Close Session, once. */
  close(): Promise<void>
  /** Subscribes; returns the unsubscribe function. */
  subscribe(h: SolSessionHandlers): () => void
  /** Reports a detected BMC quirk that SOL adapted to (IpmiClient.noteLearned); absent on a bare session. */
  noteLearned?(name: WorkaroundName, detail: string): void
  /** True when the client's profile or configured workarounds hold `name` (apply the adaptation at once). */
  hasWorkaround?(name: WorkaroundName): boolean
}

/** Where a console gets its session: logs in when needed. */
export interface SolSessionSource {
  connect(): Promise<SolSessionPort>
  /** Where the console reports what it learned about the BMC (IpmiClient.noteLearned); absent: not reported. */
  learn?(name: WorkaroundName, detail: string): void
}

export function sessionPort(session: Session, bmcPort: number): SolSessionPort {
  const info = session.info
  if (info === undefined) throw new Error('session is not established')
  return {
    managedSystemSessionId: info.managedSystemSessionId,
    cipherSuite: info.cipherSuite,
    bmcPort,
    request: (netFn, cmd, data, opts) => session.request(netFn, cmd, data, opts),
    sendSol: (p) => session.sendSol(p),
    lose: (e) => session.lose(e),
    close: () => session.close(),
    subscribe(h) {
      const onSol = (p: Buffer): void => h.sol(p)
      const onState = (s: SessionState, e?: IpmiError): void => {
        if (s === 'closed') h.closed(e)
      }
      const onHostPower = (): void => h.hostPower?.()
      session.on('sol', onSol)
      session.on('state', onState)
      session.on('hostPower', onHostPower)
      return () => {
        session.off('sol', onSol)
        session.off('state', onState)
        session.off('hostPower', onHostPower)
      }
    },
  }
}

/** The client's current session (logging in when there is none) as a SOL port. */
export function clientSource(client: IpmiClient): SolSessionSource {
  return {
    async connect() {
      const s = await client.connect()
      return {
        ...sessionPort(s, client.target.port ?? 623),
        noteLearned: (name, detail) => client.noteLearned(name, detail),
        hasWorkaround: (name) => client.hasWorkaround(name),
      }
    },
    learn: (name, detail) => client.noteLearned(name, detail),
  }
}

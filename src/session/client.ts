/**
 * IpmiClient: a BMC as callers see it. Runs typed commands on a session that
 * it opens on first use and opens again after the BMC was lost, one login at
 * a time (concurrent callers share it). Remembers the cipher suite that
 * worked so a reconnect does not probe again.
 *
 * Owns the current Session and its transport; every reconnect closes the old
 * session first, so at most one exists (DESIGN lesson 2). Does not retry
 * failed commands: a BMC_UNREACHABLE goes to the caller, who owns the policy.
 */
import { EventEmitter } from 'node:events'
import { decodeResponse, type IpmiCommand } from '../ipmi/command.js'
import { IpmiError } from '../ipmi/errors.js'
import { systemClock, type Clock } from './clock.js'
import type { SessionConfig } from './config.js'
import { Session, type SessionInfo, type SessionState } from './session.js'
import type { PacketTransport } from './transport.js'
import { createUdpTransport } from './udp-transport.js'
import type { RawResponse, RequestOptions } from './request-table.js'

export interface BmcTarget {
  host: string
  port?: number | undefined
}

export interface ClientDeps {
  clock?: Clock
  transportFactory?: (host: string, port: number) => Promise<PacketTransport>
}

interface ClientEvents {
  state: [state: SessionState, error?: IpmiError]
  session: [session: Session]
}

export class IpmiClient extends EventEmitter<ClientEvents> {
  private session: Session | undefined
  private connecting: Promise<Session> | undefined
  private workingSuite: number | undefined
  private closed = false
  private readonly clock: Clock
  private readonly transportFactory: (host: string, port: number) => Promise<PacketTransport>

  constructor(readonly target: BmcTarget, readonly config: SessionConfig, deps: ClientDeps = {}) {
    super()
    this.clock = deps.clock ?? systemClock
    this.transportFactory = deps.transportFactory ?? createUdpTransport
  }

  get currentSession(): Session | undefined {
    return this.session?.state === 'established' ? this.session : undefined
  }

  get info(): SessionInfo | undefined {
    return this.currentSession?.info
  }

  /** The established session, logging in when there is none. */
  async connect(): Promise<Session> {
    if (this.closed) throw new IpmiError('BMC_SESSION_CLOSED', 'client is closed')
    const s = this.currentSession
    if (s !== undefined) return s
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  async run<Req, Res>(command: IpmiCommand<Req, Res>, req: Req, opts: RequestOptions = {}): Promise<Res> {
    const r = await this.raw(command.netFn, command.cmd, command.encode(req), { idempotent: command.idempotent ?? true, ...opts })
    return decodeResponse(command, r.cc, r.data)
  }

  async raw(netFn: number, cmd: number, data: Uint8Array, opts: RequestOptions = {}): Promise<RawResponse> {
    const s = await this.connect()
    return s.request(netFn, cmd, data, opts)
  }

  /** Closes the current session (Close Session sent) and refuses further use. */
  async close(): Promise<void> {
    this.closed = true
    // Closing the session also abandons a login in flight, without waiting for its timeouts.
    await this.session?.close()
    await this.connecting?.catch(() => undefined)
    await this.session?.close()
  }

  /** Drops the current session (Close Session sent) but stays usable: the next command logs in again. */
  async reset(): Promise<void> {
    const s = this.session
    await s?.close()
    await this.connecting?.catch(() => undefined)
    if (this.session === s) this.session = undefined
  }

  private async open(): Promise<Session> {
    const old = this.session
    this.session = undefined
    await old?.close()
    const transport = await this.transportFactory(this.target.host, this.target.port ?? 623)
    const s = new Session(transport, this.config, this.clock)
    this.session = s
    s.on('state', (state, err) => {
      if (this.session === s) this.emit('state', state, err)
    })
    try {
      const info = await s.connect(this.workingSuite)
      this.workingSuite = info.cipherSuite
    } catch (e) {
      if (this.session === s) this.session = undefined
      throw e
    }
    if (this.closed) {
      await s.close()
      throw new IpmiError('BMC_SESSION_CLOSED', 'client was closed during login')
    }
    this.emit('session', s)
    return s
  }
}

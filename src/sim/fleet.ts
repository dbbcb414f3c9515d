/**
 * A fleet of complete simulated servers on loopback, the demo's and the
 * scale benchmark's BMCs: each is a SimBmc with SOL (a console host printing
 * a boot log at a set rate), sensors, FRU and SEL, on its own UDP port, with
 * per-BMC faults (loss, delay, hang, die, wrong credentials, SOL held by
 * someone else). startSimFleet() returns what a client needs to reach each
 * one: host, port, user, password, cipher suite. With `redfish`, each BMC
 * also serves Redfish on loopback HTTPS over the same state (src/sim/redfish),
 * under one certificate made for the fleet.
 * Owns every BMC, socket and the one Ticker they share (one timer for the
 * whole fleet). udp-server.ts startFleet() stays the bare RMCP+ variant.
 * Hazard: consecutive ports from basePort must all be free; a port already
 * taken fails the start and closes what was opened.
 */
import { NO_FAULTS, realClock, type SimClock } from './faults.js'
import { attachHardware } from './hardware-commands.js'
import type { SimHardware } from './hardware.js'
import type { QuirkName } from './quirks.js'
import { attachRedfish, type SimRedfish } from './redfish/attach.js'
import type { PowerTiming } from './redfish/power.js'
import { listenRedfish, type SimRedfishServer } from './redfish/server.js'
import { makeCertificate } from './redfish/tls.js'
import { SimBmc } from './sim-bmc.js'
import { attachSol, type SimSol } from './sol.js'
import type { SimBmcConfig } from './state.js'
import type { SolLinkTiming } from './sol-link.js'
import { Ticker } from './ticker.js'
import { listenUdp, type SimUdpServer } from './udp-server.js'

export const SIM_FAULT_KINDS = ['none', 'drop', 'delay', 'hang', 'die', 'wrong-credentials', 'sol-held', 'unavailable', 'session-limit'] as const
export type SimFaultKind = (typeof SIM_FAULT_KINDS)[number]

/**
 * One fault for one BMC; `value` is the loss ratio (drop), milliseconds
 * (delay) or Retry-After seconds (unavailable). 'none' clears all. Over
 * Redfish: drop loses connections, delay answers late, hang holds requests,
 * die and wrong-credentials act as over IPMI; unavailable (503 with
 * Retry-After) and session-limit (login refused) are Redfish only.
 */
export interface SimFault {
  kind: SimFaultKind
  value?: number
}

export interface SimFleetOptions {
  count: number
  /** Loopback address to bind (default 127.0.0.1). */
  host?: string
  /** First port; BMC i listens on basePort + i. 0 (default) lets the kernel pick each port. */
  basePort?: number
  /** Console (boot log) bytes per second per BMC; default 256, 0 = quiet until typed at. */
  consoleRate?: number
  /** Host power at start (default on, so consoles print). */
  powerOn?: boolean
  username?: string
  password?: string
  /** SOL timing of every BMC (accumulate interval, send threshold, retries); see SolLinkTiming. */
  sol?: Partial<SolLinkTiming>
  /** Session slots per BMC (default 4). */
  maxSessions?: number
  /** Vendor quirks by BMC index (src/sim/quirks.ts); fixed for the BMC's life. */
  quirks?: ReadonlyMap<number, readonly QuirkName[]>
  /** Session and cold reset timing of every BMC (SimBmcConfig), so quirks such as coldreset-console need not take a minute. */
  timing?: Pick<SimBmcConfig, 'idleTimeoutMs' | 'coldResetAfterSolMs' | 'coldResetDowntimeMs'>
  /** Faults set at start, by BMC index. */
  faults?: { index: number; fault: SimFault }[]
  /** Replaces host INDEX's boot log (default: renderBootLog), e.g. numbered lines a soak can check for order and loss. */
  bootLog?: (index: number) => string
  /** The simulated hosts' names (console prompt, BMC listing); default sim-INDEX. */
  hostname?: (index: number) => string
  /** Shared tick for SOL and console output (default 25 ms). */
  tickMs?: number
  clock?: SimClock
  /** Also serve Redfish over HTTPS beside each BMC's IPMI (one certificate for the fleet). */
  redfish?: SimFleetRedfishOptions
}

export interface SimFleetRedfishOptions {
  /** BMC i's Redfish service listens on basePort + i; 0 (default) lets the kernel pick each port. */
  basePort?: number
  /** Power transition times (default on 2000 ms, off 1000 ms). */
  power?: Partial<PowerTiming>
  /** Redfish sessions per BMC (default 8). */
  maxSessions?: number
}

/** Where one BMC's Redfish service is. */
export interface SimFleetRedfishEndpoint {
  port: number
  /** https://HOST:PORT; the service root is URL + /redfish/v1/. */
  url: string
}

/** What a client needs to reach one simulated BMC. */
export interface SimFleetBmc {
  index: number
  /** The simulated host's name ("sim-0"), also its console prompt. */
  name: string
  host: string
  port: number
  username: string
  password: string
  /** Suites offered, preferred first: 17 and 3 unless a quirk leaves one. */
  cipherSuites: number[]
  /** Present when the fleet serves Redfish. */
  redfish?: SimFleetRedfishEndpoint
}

export interface SimFleetMember {
  readonly bmc: SimBmc
  readonly sol: SimSol
  readonly hardware: SimHardware
  readonly server: SimUdpServer
  readonly redfish?: { readonly sim: SimRedfish; readonly server: SimRedfishServer }
}

export interface SimFleetHandle {
  readonly bmcs: readonly SimFleetBmc[]
  readonly members: readonly SimFleetMember[]
  /** SHA-256 fingerprint of the fleet's Redfish certificate (colon-separated hex), when it serves Redfish. */
  readonly redfishFingerprint?: string
  /** The certificate itself (PEM), for clients that verify against it as a CA. */
  readonly redfishCertificatePem?: string
  /** Applies a fault to BMC `index` (die closes its socket; 'none' clears every fault and revives it). */
  setFault(index: number, fault: SimFault): Promise<void>
  /** Console bytes ACKed by consoles, fleet-wide (a progress measure for benchmarks). */
  consoleBytesDelivered(): number
  /** BMCs whose SOL instance is held by a console. */
  activeConsoles(): number
  close(): Promise<void>
}

function guidFor(i: number): Buffer {
  const guid = Buffer.alloc(16)
  guid.write('bmcvisor-sim', 'latin1')
  guid.writeUInt32BE(i, 12)
  return guid
}

export async function startSimFleet(opts: SimFleetOptions): Promise<SimFleetHandle> {
  const { count } = opts
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer')
  const host = opts.host ?? '127.0.0.1'
  const username = opts.username ?? 'admin'
  const password = opts.password ?? 'password'
  const clock = opts.clock ?? realClock
  const ticker = new Ticker(clock, opts.tickMs ?? 25)
  const members: SimFleetMember[] = []
  const close = async () => {
    ticker.stop()
    for (const m of members) {
      m.sol.dispose()
      m.redfish?.sim.dispose()
    }
    await Promise.all(members.flatMap((m) => [m.server.close(), ...(m.redfish !== undefined ? [m.redfish.server.close()] : [])]))
  }
  const certificate = opts.redfish !== undefined ? await makeCertificate() : undefined
  try {
    for (let i = 0; i < count; i++) {
      const bmc = new SimBmc(
        {
          ...opts.timing,
          seed: 1000 + i, guid: guidFor(i), powerOn: opts.powerOn ?? true, maxSessions: opts.maxSessions, users: [{ id: 2, name: username, password }], quirks: [...(opts.quirks?.get(i) ?? [])],
        },
        { clock },
      )
      const name = opts.hostname?.(i) ?? `sim-${i}`
      const sol = attachSol(bmc, { host: { hostname: name, rateBytesPerSecond: opts.consoleRate ?? 256, ...(opts.bootLog !== undefined ? { bootLog: opts.bootLog(i) } : {}) }, timing: opts.sol, ticker })
      const hardware = attachHardware(bmc, { index: i })
      const port = opts.basePort === undefined || opts.basePort === 0 ? 0 : opts.basePort + i
      const server = await listenUdp(bmc, { host, port })
      sol.payloadPort = server.port
      let redfish: SimFleetMember['redfish']
      if (opts.redfish !== undefined && certificate !== undefined) {
        const sim = attachRedfish(bmc, hardware, { clock, power: opts.redfish.power, maxSessions: opts.redfish.maxSessions })
        const base = opts.redfish.basePort ?? 0
        try {
          redfish = { sim, server: await listenRedfish(sim.service, bmc, { host, port: base === 0 ? 0 : base + i, certificate, clock, seed: 2000 + i }) }
        } catch (e) {
          sim.dispose()
          await server.close()
          throw e
        }
      }
      members.push({ bmc, sol, hardware, server, ...(redfish !== undefined ? { redfish } : {}) })
    }
  } catch (e) {
    await close()
    throw e
  }
  const bmcs = members.map((m, index): SimFleetBmc => ({
    index, name: opts.hostname?.(index) ?? `sim-${index}`, host, port: m.server.port, username, password,
    cipherSuites: [...m.bmc.config.cipherSuites].sort((a, b) => b - a),
    ...(m.redfish !== undefined ? { redfish: { port: m.redfish.server.port, url: m.redfish.server.url } } : {}),
  }))
  const handle: SimFleetHandle = {
    bmcs,
    members,
    ...(certificate !== undefined ? { redfishFingerprint: certificate.fingerprint256, redfishCertificatePem: certificate.certPem } : {}),
    async setFault(index, fault) {
      const m = members[index]
      if (m === undefined) throw new RangeError(`no BMC ${index} in a fleet of ${members.length}`)
      await applyFault(m, fault)
    },
    consoleBytesDelivered: () => members.reduce((n, m) => n + m.sol.linkStats().bytesAccepted, 0),
    activeConsoles: () => members.filter((m) => m.sol.active).length,
    close,
  }
  for (const f of opts.faults ?? []) await handle.setFault(f.index, f.fault)
  return handle
}

async function applyFault(m: SimFleetMember, f: SimFault): Promise<void> {
  switch (f.kind) {
    case 'none':
      m.bmc.setFaults({ ...NO_FAULTS })
      m.sol.holdByOther(false)
      if (m.server.dead) await m.server.revive()
      return
    case 'drop': {
      const ratio = f.value ?? 0.1
      if (!(ratio >= 0 && ratio <= 1)) throw new RangeError('drop ratio must be 0..1')
      m.bmc.setFaults({ dropRatio: ratio })
      return
    }
    case 'delay': {
      const ms = f.value ?? 200
      if (!(ms >= 0 && ms <= 60_000)) throw new RangeError('delay must be 0..60000 ms')
      m.bmc.setFaults({ delayMs: ms })
      return
    }
    case 'hang':
      m.bmc.setFaults({ hang: true })
      return
    case 'die':
      await m.server.die()
      return
    case 'wrong-credentials':
      m.bmc.setFaults({ wrongCredentials: true })
      return
    case 'sol-held':
      m.sol.holdByOther(true)
      return
    case 'unavailable': {
      const seconds = f.value ?? 5
      if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600)) throw new RangeError('unavailable takes a Retry-After of 1..3600 s')
      m.bmc.setFaults({ unavailableRetryAfterS: seconds })
      return
    }
    case 'session-limit':
      m.bmc.setFaults({ sessionLimitReached: true })
      return
    default: {
      const never: never = f.kind
      throw new RangeError(`unknown fault kind ${String(never)}`)
    }
  }
}

/** Parses "INDEX:KIND[=VALUE]" or "FIRST-LAST:KIND[=VALUE]" (the CLI's --fault), e.g. "3:drop=0.2", "0-9:hang". */
export function parseFaultSpec(spec: string, count: number): { index: number; fault: SimFault }[] {
  const m = /^(\d+)(?:-(\d+))?:([a-z-]+)(?:=([0-9.]+))?$/.exec(spec.trim())
  if (m === null) throw new RangeError(`fault "${spec}" is not INDEX[-LAST]:KIND[=VALUE]`)
  const first = Number(m[1])
  const last = m[2] === undefined ? first : Number(m[2])
  const kind = m[3] as SimFaultKind
  if (!SIM_FAULT_KINDS.includes(kind)) throw new RangeError(`fault kind "${m[3]}" is not one of ${SIM_FAULT_KINDS.join(', ')}`)
  if (last < first || last >= count) throw new RangeError(`fault "${spec}" names BMCs outside 0..${count - 1}`)
  const fault: SimFault = m[4] === undefined ? { kind } : { kind, value: Number(m[4]) }
  const out: { index: number; fault: SimFault }[] = []
  for (let i = first; i <= last; i++) out.push({ index: i, fault })
  return out
}

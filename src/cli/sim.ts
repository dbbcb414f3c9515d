/**
 * `bmcvisor sim --count N [--base-port P] [--host 127.0.0.1] [--console-rate B]
 * [--fault INDEX[-LAST]:KIND[=VALUE]]... [--quirk INDEX[-LAST]:NAME[,NAME]]...
 * [--redfish [--redfish-base-port P] [--redfish-transition-ms MS]]`
 * (or `bmcvisor sim --list-quirks`): a fleet of simulated servers
 * (src/sim startSimFleet) on consecutive loopback ports, until SIGINT or
 * SIGTERM. Every BMC has user admin / password (administrator), speaks RMCP+
 * with cipher suites 3 and 17, has a SOL console printing a boot log at the
 * given rate while its host is powered on (hosts start on; with --power off,
 * `bmcvisor ipmi ... power on` and watch it boot), sensors, FRU and SEL, so
 * `bmcvisor ipmi`, ipmitool and FreeIPMI can talk to it. --quirk makes the
 * named BMCs imitate documented vendor deviations (src/sim/quirks.ts,
 * docs/quirks.md); --list-quirks prints each quirk with its source.
 * --redfish also serves Redfish over HTTPS on each BMC (same state: power,
 * users, sensors, SEL), under one certificate made at start; the sim prints
 * its SHA-256 fingerprint and each BMC's Redfish URL.
 */
import { parseArgs } from 'node:util'
import { parseFaultSpec, SIM_FAULT_KINDS, startSimFleet, type SimFault, type SimFleetRedfishOptions } from '../sim/fleet.js'
import { parseQuirkSpec, QUIRKS, quirksByIndex, type QuirkName } from '../sim/quirks.js'
import { ServiceError, toWire } from '../errors.js'

export const SIM_USAGE = [
  'usage: bmcvisor sim --count N [--base-port P] [--host 127.0.0.1] [--console-rate BYTES_PER_S] [--power on|off]',
  '                    [--fault INDEX[-LAST]:KIND[=VALUE]]... [--sol-accumulate-ms MS] [--sol-threshold BYTES] [--json]',
  '                    [--quirk INDEX[-LAST]:NAME[,NAME]]... [--idle-timeout-ms MS] [--cold-reset-after-ms MS] [--cold-reset-downtime-ms MS]',
  '                    [--redfish [--redfish-base-port P] [--redfish-transition-ms MS]]',
  '       bmcvisor sim --list-quirks',
  `  fault kinds: ${SIM_FAULT_KINDS.filter((k) => k !== 'none').join(', ')} (drop=RATIO, delay=MS, unavailable=RETRY_AFTER_S), e.g. --fault 3:drop=0.2 --fault 5-9:hang`,
  `  quirks: ${QUIRKS.map((q) => q.name).join(', ')}, e.g. --quirk 0:opensesspriv --quirk 2-3:solport,authcap (sources: --list-quirks)`,
].join('\n')

/** One line per quirk: name, FreeIPMI flag, source. */
export function listQuirks(): string {
  const width = Math.max(...QUIRKS.map((q) => q.name.length))
  return QUIRKS.map((q) => `${q.name.padEnd(width)}  ${q.freeipmiFlag !== undefined ? `FreeIPMI -W ${q.freeipmiFlag}` : 'no FreeIPMI flag'}; ${q.source}`).join('\n')
}

/** Bounds of --idle-timeout-ms, --cold-reset-after-ms and --cold-reset-downtime-ms (an hour at most). */
const MIN_TIMING_MS = 100
const MAX_TIMING_MS = 3_600_000

function int(v: string, field: string, min: number, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new ServiceError('VALIDATION_FAILED', `--${field} must be an integer from ${min} to ${max}`, { details: { field } })
  return n
}

/** Where --redfish puts BMC 0's Redfish service (TCP) unless --redfish-base-port says otherwise; 0 lets the kernel pick. */
export const DEFAULT_REDFISH_BASE_PORT = 18443

function redfishOptions(baseArg: string, transitionArg: string | undefined, count: number): SimFleetRedfishOptions {
  const base = int(baseArg, 'redfish-base-port', 0, 65535)
  if (base !== 0 && base + count - 1 > 65535) throw new ServiceError('VALIDATION_FAILED', '--redfish-base-port must leave room for --count ports', { details: { field: 'redfish-base-port' } })
  const transition = transitionArg === undefined ? undefined : int(transitionArg, 'redfish-transition-ms', 0, 60_000)
  return { basePort: base, ...(transition !== undefined ? { power: { onMs: transition, offMs: transition } } : {}) }
}

export async function simCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, stopSignal?: AbortSignal): Promise<number> {
  try {
    const { values: o } = parseArgs({
      args: argv,
      options: {
        count: { type: 'string', default: '1' },
        'base-port': { type: 'string', default: '16230' },
        host: { type: 'string', default: '127.0.0.1' },
        'console-rate': { type: 'string', default: '256' },
        power: { type: 'string', default: 'on' },
        fault: { type: 'string', multiple: true },
        quirk: { type: 'string', multiple: true },
        'list-quirks': { type: 'boolean' },
        'sol-accumulate-ms': { type: 'string' },
        'sol-threshold': { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'cold-reset-after-ms': { type: 'string' },
        'cold-reset-downtime-ms': { type: 'string' },
        json: { type: 'boolean' },
        redfish: { type: 'boolean' },
        'redfish-base-port': { type: 'string', default: String(DEFAULT_REDFISH_BASE_PORT) },
        'redfish-transition-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    })
    if (o.help === true) {
      io.stdout.write(SIM_USAGE + '\n')
      return 0
    }
    if (o['list-quirks'] === true) {
      io.stdout.write(listQuirks() + '\n')
      return 0
    }
    const count = Number(o.count)
    const basePort = Number(o['base-port'])
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new ServiceError('VALIDATION_FAILED', '--count must be an integer from 1 to 10000', { details: { field: 'count' } })
    if (!Number.isInteger(basePort) || basePort < 0 || basePort + count - 1 > 65535) throw new ServiceError('VALIDATION_FAILED', '--base-port must leave room for --count ports', { details: { field: 'base-port' } })
    // Simulated BMCs never leave this machine: loopback addresses only.
    if (!/^127\.\d+\.\d+\.\d+$/.test(o.host) && o.host !== '::1' && o.host !== 'localhost') {
      throw new ServiceError('VALIDATION_FAILED', '--host must be a loopback address', { details: { field: 'host' } })
    }
    if (o.power !== 'on' && o.power !== 'off') throw new ServiceError('VALIDATION_FAILED', '--power must be on or off', { details: { field: 'power' } })
    const consoleRate = int(o['console-rate'], 'console-rate', 0, 1_000_000)
    const sol = {
      ...(o['sol-accumulate-ms'] !== undefined ? { accumulateMs: int(o['sol-accumulate-ms'], 'sol-accumulate-ms', 5, 1275) } : {}),
      ...(o['sol-threshold'] !== undefined ? { sendThreshold: int(o['sol-threshold'], 'sol-threshold', 1, 255) } : {}),
    }
    // Session timing of every BMC: quirks idletimeout-short, sessiontable-full and coldreset-console in seconds instead of a minute.
    const timing = {
      ...(o['idle-timeout-ms'] !== undefined ? { idleTimeoutMs: int(o['idle-timeout-ms'], 'idle-timeout-ms', MIN_TIMING_MS, MAX_TIMING_MS) } : {}),
      ...(o['cold-reset-after-ms'] !== undefined ? { coldResetAfterSolMs: int(o['cold-reset-after-ms'], 'cold-reset-after-ms', 0, MAX_TIMING_MS) } : {}),
      ...(o['cold-reset-downtime-ms'] !== undefined ? { coldResetDowntimeMs: int(o['cold-reset-downtime-ms'], 'cold-reset-downtime-ms', 0, MAX_TIMING_MS) } : {}),
    }
    let faults: { index: number; fault: SimFault }[]
    try {
      faults = (o.fault ?? []).flatMap((f) => parseFaultSpec(f, count))
    } catch (e) {
      throw new ServiceError('VALIDATION_FAILED', (e as Error).message, { details: { field: 'fault' } })
    }
    let quirks: Map<number, QuirkName[]>
    try {
      quirks = quirksByIndex((o.quirk ?? []).flatMap((q) => parseQuirkSpec(q, count)))
    } catch (e) {
      throw new ServiceError('VALIDATION_FAILED', (e as Error).message, { details: { field: 'quirk' } })
    }
    const redfish = o.redfish === true ? redfishOptions(o['redfish-base-port'], o['redfish-transition-ms'], count) : undefined
    const fleet = await startSimFleet({ count, host: o.host, basePort, consoleRate, powerOn: o.power === 'on', sol, faults, quirks, timing, ...(redfish !== undefined ? { redfish } : {}) })
    const bmcs = fleet.bmcs.map((b) => ({
      index: b.index, name: b.name, host: b.host, port: b.port, username: b.username, password: b.password,
      ...(quirks.has(b.index) ? { quirks: quirks.get(b.index), cipherSuites: b.cipherSuites } : {}),
      ...(b.redfish !== undefined ? { redfish: b.redfish } : {}),
    }))
    if (o.json === true) io.stdout.write(JSON.stringify({ bmcs, ...(fleet.redfishFingerprint !== undefined ? { redfishFingerprint: fleet.redfishFingerprint } : {}) }) + '\n')
    else {
      const first = bmcs[0]!
      const last = bmcs[bmcs.length - 1]!
      io.stdout.write(`${count} simulated BMC(s) on ${first.host} ports ${first.port}-${last.port} (user admin, password password), consoles at ${consoleRate} B/s\n`)
      io.stdout.write(`try: bmcvisor ipmi -H ${first.host} -p ${first.port} -U admin -P password sol activate\n`)
      for (const f of faults) io.stdout.write(`fault: BMC ${f.index} ${f.fault.kind}${f.fault.value !== undefined ? `=${f.fault.value}` : ''}\n`)
      for (const [index, names] of [...quirks].sort((a, b) => a[0] - b[0])) io.stdout.write(`quirk: BMC ${index} ${names.join(',')}\n`)
      if (fleet.redfishFingerprint !== undefined) {
        io.stdout.write(`redfish: certificate SHA-256 fingerprint ${fleet.redfishFingerprint}\n`)
        for (const b of bmcs) if (b.redfish !== undefined) io.stdout.write(`redfish: BMC ${b.index} ${b.redfish.url}/redfish/v1/\n`)
        const first = bmcs[0]!.redfish
        if (first !== undefined) io.stdout.write(`try: redfishtool -r ${first.url.replace(/^https:\/\//, '')} -u admin -p password -S Always Systems\n`)
      }
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      stopSignal?.addEventListener('abort', stop, { once: true })
    })
    await fleet.close()
    return 0
  } catch (e) {
    const w = toWire(e)
    io.stderr.write(`bmcvisor: ${w.code === 'INTERNAL' && e instanceof Error ? `VALIDATION_FAILED: ${e.message}` : `${w.code}: ${w.message}`}\n`)
    return w.code === 'VALIDATION_FAILED' || w.code === 'INTERNAL' ? 2 : 1
  }
}

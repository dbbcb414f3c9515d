// Test lab: one OpenIPMI ipmi_sim per call, on a free loopback UDP port, with
// its own temporary state directory, chassis-control "host" and SOL serial
// backend. Owns the simulator process and the temp directory, and kills and
// removes them on stop(), on process exit, and (through supervise.sh) when
// the test process dies without running exit hooks.
// Configs live in test/lab/ipmi-sim/; facts about ipmi_sim are in
// /work/shared/reference/ipmi-sim.md and in the comments of those files.
// Hazard: ipmi_sim connects to the SOL backend once at start and retries only
// much later, so the backend is started first and the connection awaited.
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort, LOOPBACK, probeBmc } from './net.js'
import { SolBackend } from './sol-backend.js'

export { freePort, waitUntil, probeBmc } from './net.js'
export { SolBackend } from './sol-backend.js'
export { LAB_USERS, ipmiSimAvailable, ipmitool, missingLabTools, requireIpmiSim } from './tools.js'
export type { IpmitoolOptions } from './tools.js'

export const LAB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ipmi-sim')

/** File-polled sensors of sim.emu and their raw values at start. */
export const LAB_SENSORS = {
  cpu_temp: { id: 'CPU Temp', number: 0x01, initialRaw: 45 }, // 45 degrees C
  fan1: { id: 'Fan1', number: 0x02, initialRaw: 80 }, // 4800 RPM
  p12v: { id: 'Volt 12V', number: 0x03, initialRaw: 200 }, // 12.00 V
} as const
export type LabSensor = keyof typeof LAB_SENSORS

export interface StartIpmiSimOptions {
  /** Host power at start (chassis-control "host"); default off. */
  powerOn?: boolean
  /** Raw start values of the file sensors; defaults in LAB_SENSORS. */
  sensors?: Partial<Record<LabSensor, number>>
  /** Deadline for the BMC to answer and the SOL line to connect; default 10 s. */
  startTimeoutMs?: number
  /** Address to listen on (default 127.0.0.1): the host side of a veth pair into a network namespace a test made. */
  host?: string
}

export interface IpmiSim {
  readonly host: string
  readonly port: number
  /** Process id of the current ipmi_sim (changes on restart()). */
  readonly pid: number
  readonly stateDir: string
  readonly solBackend: SolBackend
  /** Lines appended by chassis-control.sh: "power 1", "boot pxe", "reset", ... */
  readonly recordsFile: string
  /** True until the current ipmi_sim process has exited. */
  readonly running: boolean
  sensorFile(name: LabSensor): string
  /** Writes a raw reading (atomically); ipmi_sim picks it up within 250 ms. */
  setSensor(name: LabSensor, raw: number): void
  readRecords(): string[]
  /** What ipmi_sim printed on stdout/stderr (the tail). */
  output(): string
  /** Sends a signal to ipmi_sim (default SIGKILL: a dead BMC). */
  kill(signal?: NodeJS.Signals): void
  /** SIGSTOP: a hung BMC. */
  pause(): void
  /** SIGCONT. */
  resume(): void
  /** Resolves with the exit status (128 + signal number when signalled). */
  waitForExit(timeoutMs?: number): Promise<number>
  /** Kills ipmi_sim and starts it again on the same port and state directory. */
  restart(): Promise<void>
  /** Kills ipmi_sim, closes the SOL backend and removes the state directory. */
  stop(): Promise<void>
}

// Every live simulator of this process, for the exit hook.
// pid() is undefined once that process has exited (never signal a stale pid).
const live = new Set<{ pid: () => number | undefined; stateDir: string }>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const s of live) {
      const pid = s.pid()
      if (pid !== undefined) killQuietly(pid, 'SIGKILL')
      removeQuietly(s.stateDir)
    }
  })
}

function render(template: string, vars: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (m, name: string) => {
    const v = vars[name]
    if (v === undefined) throw new Error(`lab template: no value for ${m}`)
    return v
  })
}

/** sensors.sdrs -> `main_sdr_add` commands, through `sdrcomp -r` (raw records). */
function compileSdrs(outFile: string): void {
  const raw = execFileSync('sdrcomp', ['-r', join(LAB_DIR, 'sensors.sdrs')], { maxBuffer: 1 << 20 })
  const lines: string[] = []
  for (let off = 0; off < raw.length; ) {
    const len = raw[off + 4]
    if (len === undefined) throw new Error(`sdrcomp output truncated at byte ${off}`)
    const rec = raw.subarray(off, off + 5 + len)
    lines.push(`main_sdr_add 0x20 ${[...rec].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ')}`)
    off += 5 + len
  }
  writeFileSync(outFile, `${lines.join('\n')}\n`)
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

interface Running {
  child: ChildProcessWithoutNullStreams
  pid: number
  exit: Promise<number>
  exited: boolean
}

function spawnSim(stateDir: string, output: (s: string) => void): Promise<Running> {
  const child = spawn(
    join(LAB_DIR, 'supervise.sh'),
    ['ipmi_sim', '-n', '-c', join(stateDir, 'lan.conf'), '-f', join(stateDir, 'sim.emu'), '-s', stateDir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', output)
  child.stdin.on('error', () => undefined) // EPIPE once the wrapper is gone
  return new Promise((resolve, reject) => {
    let running: Running | undefined
    let resolveExit: (status: number) => void = () => undefined
    const exit = new Promise<number>((r) => (resolveExit = r))
    const rl = createInterface({ input: child.stdout })
    rl.on('line', (line) => {
      const [word, num] = line.split(' ')
      if (word === 'pid' && running === undefined) {
        // From now on neither the wrapper nor its pipes keep the test process
        // alive: a test that forgets stop() still ends, and then the exit hook
        // and the wrapper clean up.
        child.unref()
        for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref(): void }).unref()
        running = { child, pid: Number(num), exit, exited: false }
        resolve(running)
      } else if (word === 'exit' && running !== undefined) {
        running.exited = true
        resolveExit(Number(num))
      }
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (running === undefined) reject(new Error(`supervise.sh exited (${code}) before starting ipmi_sim`))
      else if (!running.exited) {
        running.exited = true
        resolveExit(code ?? 1)
      }
    })
  })
}

/** Starts a lab BMC and resolves once it answers on UDP and its SOL line is up. */
export async function startIpmiSim(opts: StartIpmiSimOptions = {}): Promise<IpmiSim> {
  const timeoutMs = opts.startTimeoutMs ?? 10_000
  const host = opts.host ?? LOOPBACK
  const stateDir = mkdtempSync(join(tmpdir(), 'bmcvisor-ipmisim-'))
  const hostDir = join(stateDir, 'host')
  const sensorDir = join(stateDir, 'sensors')
  mkdirSync(hostDir)
  mkdirSync(sensorDir)
  writeFileSync(join(hostDir, 'power'), opts.powerOn === true ? '1\n' : '0\n')
  writeFileSync(join(hostDir, 'boot'), 'default\n')
  writeFileSync(join(hostDir, 'records'), '')
  for (const [name, s] of Object.entries(LAB_SENSORS)) {
    const raw = opts.sensors?.[name as LabSensor] ?? s.initialRaw
    writeFileSync(join(sensorDir, name), `${raw}\n`)
  }
  compileSdrs(join(stateDir, 'sdrs.emu'))
  const emuTemplate = render(readFileSync(join(LAB_DIR, 'sim.emu'), 'utf8'), { STATE_DIR: stateDir })
  writeFileSync(join(stateDir, 'sim.emu'), emuTemplate)

  let out = ''
  const output = (s: string): void => {
    out = (out + s).slice(-16_384)
  }
  const sol = await SolBackend.start()
  let port = 0
  let cur: Running | undefined
  const entry = { pid: () => (cur !== undefined && !cur.exited ? cur.pid : undefined), stateDir }
  live.add(entry)
  installExitHook()

  const launch = async (): Promise<void> => {
    cur = await spawnSim(stateDir, output)
    const started = cur
    const abort = new AbortController()
    void started.exit.then(() => abort.abort())
    const ok = await probeBmc(host, port, { timeoutMs, signal: abort.signal })
    if (!ok) {
      throw new Error(
        started.exited
          ? `ipmi_sim exited during start (port ${port}): ${out.trim()}`
          : `ipmi_sim did not answer on ${host}:${port} within ${timeoutMs} ms: ${out.trim()}`,
      )
    }
  }

  const conf = readFileSync(join(LAB_DIR, 'lan.conf'), 'utf8')
  try {
    // A free port can be taken by someone else before ipmi_sim binds it:
    // then ipmi_sim exits at once and we try another port.
    for (let attempt = 1; ; attempt++) {
      port = await freePort('udp')
      writeFileSync(
        join(stateDir, 'lan.conf'),
        render(conf, { ADDR: host, PORT: String(port), STATE_DIR: stateDir, LAB_DIR, SOL_PORT: String(sol.port) }),
      )
      try {
        await launch()
        break
      } catch (err) {
        const exited = cur?.exited === true
        if (cur !== undefined && !exited) killQuietly(cur.pid, 'SIGKILL')
        if (!exited || attempt >= 3) throw err
      }
    }
    await sol.waitForConnection(timeoutMs)
  } catch (err) {
    if (cur !== undefined && !cur.exited) killQuietly(cur.pid, 'SIGKILL')
    await sol.close()
    live.delete(entry)
    removeQuietly(stateDir)
    throw err
  }

  const current = (): Running => {
    if (cur === undefined) throw new Error('ipmi_sim was never started')
    return cur
  }
  const signal = (sig: NodeJS.Signals): void => {
    const r = current()
    if (r.exited) throw new Error(`ipmi_sim ${r.pid} has exited; not sending ${sig}`)
    process.kill(r.pid, sig)
  }
  const waitForExit = async (ms = 5000): Promise<number> => {
    const r = current()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ipmi_sim ${r.pid} did not exit within ${ms} ms`)), ms)
    })
    try {
      return await Promise.race([r.exit, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
  const killAndWait = async (): Promise<void> => {
    const r = current()
    if (r.exited) return
    killQuietly(r.pid, 'SIGKILL') // also ends a SIGSTOPped process
    await waitForExit()
    r.child.stdin.end()
  }

  let stopped = false
  const sim: IpmiSim = {
    host,
    port,
    get pid() {
      return current().pid
    },
    stateDir,
    solBackend: sol,
    recordsFile: join(hostDir, 'records'),
    get running() {
      return cur !== undefined && !cur.exited
    },
    sensorFile: (name) => join(sensorDir, name),
    setSensor: (name, raw) => writeAtomic(join(sensorDir, name), `${raw}\n`),
    readRecords: () =>
      readFileSync(join(hostDir, 'records'), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    output: () => out,
    kill: (sig = 'SIGKILL') => signal(sig),
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    waitForExit,
    async restart() {
      if (stopped) throw new Error('restart() after stop()')
      await killAndWait()
      // The SEL persists in the state directory: seed it only once.
      writeFileSync(join(stateDir, 'sim.emu'), emuTemplate.replace(/^sel_add .*$/gm, '# (seeded at first start)'))
      const connections = sol.connections
      await launch()
      await sol.waitForConnection(timeoutMs, connections + 1)
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await killAndWait()
      } finally {
        await sol.close()
        live.delete(entry)
        removeQuietly(stateDir)
      }
    },
  }
  return sim
}

function removeQuietly(dir: string): void {
  try {
    // A just-killed simulator may still be writing its persist files.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 })
  } catch {
    // leave it to the OS's temp cleanup rather than throw in an exit hook
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

// The per-packet SOL path in a worker thread of its own, as in the service:
// an IpmiClient and a SolConsole on one BMC, and (by mode) the hand-off of
// every chunk to the main thread and the console's screen emulator. It
// reports its own thread's CPU time (/proc/thread-self/schedstat, ns) when
// asked. Bundled and run by bench/sol-packet.ts.
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { Session as Inspector } from 'node:inspector'
import { parentPort, workerData } from 'node:worker_threads'
import { IpmiClient } from '../src/session/client.js'
import { SolConsole } from '../src/sol/console.js'
import { ScreenEmulator } from '../workers/screen.js'

export type PacketMode = 'receive' | 'handoff' | 'screen'
export interface PacketWorkerData {
  host: string
  port: number
  username: string
  password: string
  mode: PacketMode
  /** Writes a V8 CPU profile (.cpuprofile) of the measured span to this file. */
  profile?: string
}
/** Sampling interval of the profile, µs: a trickle packet costs a few hundred. */
const PROFILE_INTERVAL_US = 50

const d = workerData as PacketWorkerData
const port = parentPort!
const threadCpuNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0])

const client = new IpmiClient({ host: d.host, port: d.port }, { username: d.username, password: d.password, cipherSuite: 3 })
const con = SolConsole.forClient(client, { livenessTimeoutMs: 10_000 })
let bytes = 0
const screen = new ScreenEmulator((b) => port.postMessage(b))
con.on('data', (chunk: Buffer) => {
  bytes += chunk.length
  switch (d.mode) {
    case 'receive':
      return
    case 'handoff':
      return port.postMessage(Uint8Array.from(chunk))
    case 'screen':
      return screen.data(Uint8Array.from(chunk))
  }
})
let measured = 0
const inspector = d.profile === undefined ? undefined : new Inspector()
/** The profile runs between the two measurements, so it covers the span the CPU figure covers. */
function profile(): void {
  const s = inspector
  if (s === undefined) return
  if (measured === 0) {
    s.connect()
    s.post('Profiler.enable', () => s.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US }, () => s.post('Profiler.start')))
  } else if (measured === 1) {
    s.post('Profiler.stop', (err, r) => {
      if (err === null) writeFileSync(d.profile!, JSON.stringify(r.profile))
    })
  }
}
port.on('message', (m: string) => {
  if (m === 'measure') {
    port.postMessage({ cpuNs: threadCpuNs(), bytes })
    profile()
    measured++
  }
  if (m === 'stop') void con.close().then(() => client.close()).then(() => port.postMessage({ stopped: true }))
})
await con.open()
// The thread's own ID (for perf record --tid), from /proc/thread-self -> PID/task/TID.
port.postMessage({ up: true, tid: Number(readlinkSync('/proc/thread-self').split('/').at(-1)) })

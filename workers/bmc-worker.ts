/**
 * Thread entry of one BMC worker: binds a BmcAgent to parentPort, shows the
 * supervisor it is alive (src/bridge/progress.ts: every message bumps the shared
 * counter, a heartbeat also writes the heap use and sends the counters), and carries out injected faults (only ever sent
 * when `serve --enable-fault-injection` is on). Everything else lives in
 * bmc-agent.ts so it can be tested without a thread.
 */
import { getHeapStatistics } from 'node:v8'
import { parentPort, workerData } from 'node:worker_threads'
import { assertNever, type FaultKind, type FromWorker, type ToWorker } from '../src/bridge/messages.js'
import { attachCredit } from '../src/bridge/credit.js'
import { attachProgress, noteHeapUsed, noteProgress } from '../src/bridge/progress.js'
import { BmcAgent } from './bmc-agent.js'

if (parentPort === null) throw new Error('bmc-worker must run in a worker thread')
const port = parentPort
const { bmc, progress, credit } = workerData as { bmc: string; progress: SharedArrayBuffer; credit: SharedArrayBuffer }
attachProgress(progress)
attachCredit(credit)
const post = (m: FromWorker) => port.postMessage(m)
const agent = new BmcAgent(bmc, post)

function fault(kind: FaultKind): void {
  switch (kind) {
    case 'crash':
      setImmediate(() => {
        throw new Error(`injected crash in worker for ${bmc}`)
      })
      return
    case 'hang':
      // A busy loop: the event loop never turns again, so heartbeats stop.
      setImmediate(() => {
        for (;;) {
          // spin
        }
      })
      return
    case 'exit':
      setImmediate(() => process.exit(3))
      return
    case 'oom': {
      // Retained 8 MB chunks: the heap limit is reached within a few steps,
      // so the thread dies of ERR_WORKER_OUT_OF_MEMORY rather than GC thrash.
      const hog: unknown[] = []
      setImmediate(() => {
        for (;;) hog.push(new Array(1_000_000).fill(hog.length))
      })
      return
    }
    case 'reject':
      void Promise.reject(new Error(`injected unhandled rejection in worker for ${bmc}`))
      return
    default:
      assertNever(kind)
  }
}

port.on('message', (m: ToWorker) => {
  noteProgress()
  if (m.type === 'ping') {
    noteHeapUsed(getHeapStatistics().used_heap_size) // this isolate's heap, without memoryUsage()'s read of /proc
    agent.flushStats()
    return
  }
  if (m.type === 'fault') {
    fault(m.kind)
    return
  }
  // After 'stop' the agent posts 'stopped' and the supervisor terminates the thread.
  agent.handle(m)
})

agent.ready()

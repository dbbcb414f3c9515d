// Benchmark: the floor under bench/sol-packet.ts, what a worker thread costs
// per datagram when it does nothing but answer: the main thread sends a
// 64-byte datagram every 50 ms (the trickle's packet rate) to a UDP socket in
// a worker thread, which sends 48 bytes back on a connected socket, as the
// SOL path answers each packet with an ACK. Its CPU per datagram
// (/proc/thread-self/schedstat) is the thread's wake-up, libuv, node's dgram
// receive and send and the kernel's share: what no change to our per-packet
// code can remove. V8 flags as in sol-packet.ts.
// Run: node --import tsx bench/udp-floor.ts [--seconds 20] [--v8-flags="--flag ..."]
import dgram from 'node:dgram'
import { once } from 'node:events'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { Worker } from 'node:worker_threads'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, 'v8-flags': { type: 'string', default: '' } } })
const SECONDS = Number(values.seconds)
const INTERVAL_MS = 50
const WARM_MS = 3000
const V8_FLAGS = values['v8-flags'].split(/\s+/).filter((f) => f !== '')
for (const f of V8_FLAGS) setFlagsFromString(f)

const WORKER = `
const dgram = require('node:dgram')
const { readFileSync } = require('node:fs')
const { parentPort, workerData } = require('node:worker_threads')
const cpuNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0])
const s = dgram.createSocket('udp4')
let n = 0
const reply = Buffer.alloc(48, 1)
s.on('message', () => {
  n++
  s.send(Buffer.from(reply))
})
s.bind(0, '127.0.0.1', () => s.connect(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: s.address().port })))
parentPort.on('message', (m) => {
  if (m === 'measure') parentPort.postMessage({ cpuNs: cpuNs(), n })
  else s.close(() => parentPort.postMessage({ closed: true }))
})
`

const peer = dgram.createSocket('udp4')
peer.on('message', () => undefined)
peer.bind(0, '127.0.0.1')
await once(peer, 'listening')
const w = new Worker(WORKER, { eval: true, workerData: { port: peer.address().port } })
const [{ port }] = (await once(w, 'message')) as [{ port: number }]
const packet = Buffer.alloc(64, 2)
const tick = setInterval(() => peer.send(packet, port, '127.0.0.1'), INTERVAL_MS)
const measure = async () => {
  w.postMessage('measure')
  const [m] = (await once(w, 'message')) as [{ cpuNs: number; n: number }]
  return m
}
await sleep(WARM_MS)
const a = await measure()
await sleep(SECONDS * 1000)
const z = await measure()
clearInterval(tick)
w.postMessage('close')
await once(w, 'message')
await w.terminate()
peer.close()
const us = (z.cpuNs - a.cpuNs) / 1000 / (z.n - a.n)
console.log(`worker thread, answer only: ${us.toFixed(0)} µs per datagram (${z.n - a.n} datagrams, one every ${INTERVAL_MS} ms); V8 flags: ${V8_FLAGS.length === 0 ? 'none' : V8_FLAGS.join(' ')}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)

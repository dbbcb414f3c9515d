// The UDP fault proxy of test/lab, tested with plain UDP echo sockets: loss
// close to the set rate and reproducible by seed, duplication, reordering,
// delay, blackhole, retargeting and a clean close. Every wait is on an event
// (the proxy's decisions, datagrams arriving) with a deadline.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { FaultProxy, mulberry32 } from '../lab/fault-proxy.js'
import { LOOPBACK } from '../lab/net.js'

// A UDP socket on loopback that records what it receives, in order.
interface Peer {
  socket: Socket
  port: number
  got: Buffer[]
  waitFor(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

async function peer(onMessage?: (msg: Buffer, port: number, sock: Socket) => void): Promise<Peer> {
  const socket = createSocket('udp4')
  const got: Buffer[] = []
  socket.on('message', (msg, rinfo) => {
    got.push(msg)
    onMessage?.(msg, rinfo.port, socket)
    socket.emit('counted')
  })
  socket.bind(0, LOOPBACK)
  await once(socket, 'listening')
  return {
    socket,
    port: socket.address().port,
    got,
    waitFor(count, timeoutMs = 5000) {
      if (got.length >= count) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const onCounted = (): void => {
          if (got.length < count) return
          clearTimeout(timer)
          socket.off('counted', onCounted)
          resolve()
        }
        const timer = setTimeout(() => {
          socket.off('counted', onCounted)
          reject(new Error(`got ${got.length}/${count} datagrams after ${timeoutMs} ms`))
        }, timeoutMs)
        socket.on('counted', onCounted)
      })
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  }
}

/** An echo "BMC": answers every datagram with the same bytes. */
function echo(): Promise<Peer> {
  return peer((msg, port, sock) => sock.send(msg, port, LOOPBACK))
}

const dgram = (i: number): Buffer => Buffer.from(`packet-${i}`)
const ids = (bufs: Buffer[]): number[] => bufs.map((b) => Number(b.toString().slice('packet-'.length)))

describe('fault proxy', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const c of cleanups.reverse()) await c()
  })
  async function setup(seed = 1): Promise<{ proxy: FaultProxy; bmc: Peer; client: Peer; send: (i: number) => void }> {
    const bmc = await echo()
    const client = await peer()
    const proxy = await FaultProxy.start({ target: { port: bmc.port }, seed })
    cleanups.push(() => proxy.close(), () => bmc.close(), () => client.close())
    return { proxy, bmc, client, send: (i) => client.socket.send(dgram(i), proxy.port, LOOPBACK) }
  }

  // Sends n datagrams one after another, each only once the proxy has decided
  // the previous one, so the decision sequence is the send sequence.
  async function sendSequentially(s: Awaited<ReturnType<typeof setup>>, n: number): Promise<number[]> {
    const dropped: number[] = []
    s.proxy.on('packet', (e) => {
      if (e.direction === 'to-bmc' && e.outcome === 'dropped') dropped.push(e.seq - 1)
    })
    for (let i = 0; i < n; i++) {
      s.send(i)
      await s.proxy.waitForReceived('to-bmc', i + 1)
    }
    return dropped
  }

  it('relays both ways unchanged by default', async () => {
    const s = await setup()
    for (let i = 0; i < 20; i++) s.send(i)
    await s.client.waitFor(20)
    assert.deepEqual(ids(s.client.got), [...Array(20).keys()])
    const st = s.proxy.stats()
    assert.equal(st['to-bmc'].forwarded, 20)
    assert.equal(st['to-client'].forwarded, 20)
    assert.equal(st.dropped, 0)
  })

  it('drops about the set share, the same ones for the same seed', async () => {
    const runs: number[][] = []
    for (const seed of [42, 42, 7]) {
      const s = await setup(seed)
      s.proxy.configure({ lossRate: 0.3 }, 'to-bmc')
      const dropped = await sendSequentially(s, 1000)
      const st = s.proxy.stats()
      assert.equal(st['to-bmc'].received, 1000)
      assert.equal(st['to-bmc'].forwarded + st['to-bmc'].dropped, 1000)
      assert.ok(dropped.length > 240 && dropped.length < 360, `dropped ${dropped.length} of 1000 at 30%`)
      // Every forwarded datagram is echoed back to the client (no loss that way).
      await s.client.waitFor(st['to-bmc'].forwarded)
      assert.equal(s.bmc.got.length, st['to-bmc'].forwarded)
      assert.equal(s.proxy.stats()['to-client'].dropped, 0)
      runs.push(dropped)
    }
    assert.deepEqual(runs[0], runs[1], 'same seed, same drops')
    assert.notDeepEqual(runs[0], runs[2], 'another seed, other drops')
  })

  it('duplicates datagrams', async () => {
    const s = await setup()
    s.proxy.configure({ duplicateRate: 1 }, 'to-bmc')
    for (let i = 0; i < 10; i++) s.send(i)
    await s.client.waitFor(20)
    assert.equal(s.bmc.got.length, 20)
    assert.deepEqual(ids(s.bmc.got), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9])
    const st = s.proxy.stats()['to-bmc']
    assert.equal(st.duplicated, 10)
    assert.equal(st.sent, 20)
  })

  it('reorders: a held datagram follows the next one, or leaves after the hold time', async () => {
    const s = await setup()
    s.proxy.configure({ reorderRate: 1 }, 'to-bmc')
    for (let i = 0; i < 4; i++) s.send(i)
    await s.bmc.waitFor(4)
    assert.deepEqual(ids(s.bmc.got), [1, 0, 3, 2])
    s.send(4) // alone: held, then released by the hold timer
    await s.bmc.waitFor(5)
    assert.deepEqual(ids(s.bmc.got).slice(4), [4])
    assert.equal(s.proxy.stats()['to-bmc'].reordered, 3)
  })

  it('delays datagrams', async () => {
    const s = await setup()
    s.proxy.configure({ delayMs: 80 }, 'to-bmc')
    const t0 = performance.now()
    s.send(0)
    await s.client.waitFor(1)
    const rttMs = performance.now() - t0
    assert.ok(rttMs >= 79, `round trip ${rttMs} ms with 80 ms delay`)
  })

  it('blackholes everything until switched off', async () => {
    const s = await setup()
    s.proxy.blackhole()
    for (let i = 0; i < 5; i++) s.send(i)
    await s.proxy.waitForReceived('to-bmc', 5)
    // Decisions are synchronous: a dropped datagram is never sent later.
    assert.equal(s.proxy.stats()['to-bmc'].dropped, 5)
    assert.equal(s.proxy.stats()['to-bmc'].sent, 0)
    assert.equal(s.bmc.got.length, 0)
    s.proxy.blackhole(false)
    s.send(5)
    await s.client.waitFor(1)
    assert.deepEqual(ids(s.client.got), [5])
    assert.equal(s.bmc.got.length, 1)
  })

  it('follows a new target', async () => {
    const s = await setup()
    const other = await echo()
    cleanups.push(() => other.close())
    s.proxy.setTarget({ port: other.port })
    s.send(1)
    await s.client.waitFor(1)
    assert.equal(other.got.length, 1)
    assert.equal(s.bmc.got.length, 0)
  })

  it('closes cleanly with datagrams still delayed', async () => {
    const s = await setup()
    s.proxy.configure({ delayMs: 10_000, reorderRate: 0 }, 'to-bmc')
    s.send(0)
    await s.proxy.waitForReceived('to-bmc', 1)
    await s.proxy.close()
    await s.proxy.close() // idempotent
    assert.equal(s.proxy.stats()['to-bmc'].sent, 0)
    assert.equal(s.bmc.got.length, 0)
    // The proxy's port is free again: its socket is really closed.
    const again = createSocket('udp4')
    again.bind(s.proxy.port, LOOPBACK)
    await once(again, 'listening')
    await new Promise<void>((resolve) => again.close(() => resolve()))
  })
})

describe('mulberry32', () => {
  it('is deterministic per seed and stays in [0, 1)', () => {
    const a = mulberry32(123)
    const b = mulberry32(123)
    const c = mulberry32(124)
    const xs = Array.from({ length: 1000 }, () => a())
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()))
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()))
    assert.ok(xs.every((x) => x >= 0 && x < 1))
    const mean = xs.reduce((p, x) => p + x, 0) / xs.length
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`)
  })
})

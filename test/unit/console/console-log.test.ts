// ConsoleLog on a temp directory with a fake clock: bytes reach the file by
// the flush deadline, the journal places data and events by offset, size
// rotation keeps `keep` pairs, and reopen() (SIGHUP) follows logrotate.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ConsoleLog } from '../../../src/console/index.js'
import { FakeClock } from './fakes.js'

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-conlog-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function until(pred: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000
  while (!pred()) {
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setImmediate(r))
  }
}

const journal = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
const size = (p: string) => {
  try {
    return readFileSync(p).length
  } catch {
    return 0
  }
}

describe('ConsoleLog', () => {
  it('writes bytes within flushMs, and journals data bursts and events at their offsets', async (t) => {
    const dir = tmp(t)
    const clock = new FakeClock()
    const log = new ConsoleLog({ dir, node: 'n1', clock, flushMs: 200 })
    log.event({ type: 'connect' })
    log.append(Buffer.from('hello '))
    clock.tick(100)
    log.append(Buffer.from('world'))
    assert.equal(size(log.logPath), 0, 'nothing before the deadline')
    clock.tick(100) // the flush timer fires
    await until(() => size(log.logPath) === 11)
    clock.tick(1500)
    log.append(Buffer.from('!'))
    log.event({ type: 'disconnect', reason: 'unreachable', message: 'no answer' })
    await log.flush()
    assert.equal(readFileSync(log.logPath, 'latin1'), 'hello world!')
    const j = journal(log.journalPath).map(({ time: _t, ...r }) => r)
    assert.deepEqual(j, [
      { offset: 0, type: 'open' },
      { offset: 0, type: 'connect' },
      { type: 'data', offset: 0, length: 11 },
      { type: 'data', offset: 11, length: 1 },
      { offset: 12, type: 'disconnect', reason: 'unreachable', message: 'no answer' },
    ])
    assert.equal(log.bytes, 12)
    await log.close()
  })

  it('rotates by size and keeps the newest pairs', async (t) => {
    const dir = tmp(t)
    const clock = new FakeClock()
    const log = new ConsoleLog({ dir, node: 'n1', clock, maxBytes: 100, keep: 2 })
    for (let i = 0; i < 5; i++) {
      log.append(Buffer.alloc(100, 0x30 + i))
      await log.flush()
      clock.tick(1000)
    }
    await log.close()
    const files = readdirSync(dir).sort()
    const rotated = files.filter((f) => /^n1\.log\.\d{8}T/.test(f))
    assert.equal(rotated.length, 2, files.join(' '))
    assert.ok(rotated.every((f) => f.endsWith('.gz')), `rotated logs are compressed: ${files.join(' ')}`)
    assert.equal(files.filter((f) => /^n1\.jnl\.\d{8}T.*\.gz$/.test(f)).length, 2)
    assert.equal(files.length, 6, `the current pair and two compressed pairs, no plain or .tmp left: ${files.join(' ')}`)
    assert.equal(readFileSync(join(dir, 'n1.log'), 'latin1'), '4'.repeat(100))
    assert.equal(gunzipSync(readFileSync(join(dir, rotated[1]!))).toString('latin1'), '3'.repeat(100))
    const jnl = files.filter((f) => /^n1\.jnl\.\d{8}T/.test(f))
    const records = gunzipSync(readFileSync(join(dir, jnl[1]!))).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string })
    assert.ok(records.some((r) => r.type === 'data'), 'the compressed journal keeps its records')
  })

  it('compresses in the background without holding writes, and prunes compressed pairs like plain ones', async (t) => {
    const dir = tmp(t)
    const clock = new FakeClock()
    // A plain rotated pair a crash left behind: compressed at the next rotation, and counted by prune.
    writeFileSync(join(dir, 'n1.log.20200101T000000.000Z'), 'left behind')
    writeFileSync(join(dir, 'n1.jnl.20200101T000000.000Z'), '')
    const log = new ConsoleLog({ dir, node: 'n1', clock, maxBytes: 10, keep: 2 })
    log.append(Buffer.from('first log!'))
    await log.flush()
    clock.tick(1000)
    log.append(Buffer.from('second'))
    // The write after the rotation resolves on its own; compression goes on behind it.
    await log.flush()
    assert.equal(readFileSync(log.logPath, 'latin1'), 'second')
    await log.compressed()
    let files = readdirSync(dir).sort()
    assert.deepEqual(files.filter((f) => !f.endsWith('.gz')), ['n1.jnl', 'n1.log'], files.join(' '))
    assert.equal(gunzipSync(readFileSync(join(dir, 'n1.log.20200101T000000.000Z.gz'))).toString(), 'left behind')
    for (let i = 0; i < 3; i++) {
      clock.tick(1000)
      log.append(Buffer.alloc(10, 0x61 + i))
      await log.flush()
    }
    await log.close()
    files = readdirSync(dir).sort()
    const stamps = new Set(files.filter((f) => f !== 'n1.log' && f !== 'n1.jnl').map((f) => f.split('.')[2]))
    assert.equal(stamps.size, 2, `keep 2 pairs, compressed ones counted: ${files.join(' ')}`)
    assert.ok(!files.some((f) => f.includes('20200101')), 'the oldest (compressed) pair was pruned')
  })

  it('rotates by age', async (t) => {
    const dir = tmp(t)
    const clock = new FakeClock()
    const log = new ConsoleLog({ dir, node: 'n1', clock, maxAgeMs: 60_000 })
    log.append(Buffer.from('old'))
    await log.flush()
    clock.tick(61_000)
    log.append(Buffer.from('new'))
    await log.flush()
    await log.close()
    assert.equal(readFileSync(join(dir, 'n1.log'), 'latin1'), 'new')
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('n1.log.')).length, 1)
  })

  it('reopen() after logrotate moved the files: new files, offsets from 0', async (t) => {
    const dir = tmp(t)
    const log = new ConsoleLog({ dir, node: 'n1', clock: new FakeClock() })
    log.append(Buffer.from('before'))
    await log.flush()
    renameSync(log.logPath, `${log.logPath}.1`)
    renameSync(log.journalPath, `${log.journalPath}.1`)
    await log.reopen()
    log.append(Buffer.from('after'))
    await log.flush()
    assert.equal(readFileSync(`${log.logPath}.1`, 'latin1'), 'before')
    assert.equal(readFileSync(log.logPath, 'latin1'), 'after')
    assert.deepEqual(journal(log.journalPath).map((r) => [r.type, r.offset]), [['open', 0], ['data', 0]])
    await log.close()
  })
})

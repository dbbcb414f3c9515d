// The shared progress buffer between a worker and its supervisor: what the
// thread side writes (bumps, heap use) is what the supervisor's reader sees,
// and the two slots do not overlap.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { attachProgress, newProgressBuffer, noteHeapUsed, noteProgress, ProgressReader } from '../../../src/bridge/progress.js'

describe('progress buffer', () => {
  it('a bump before any buffer is attached (the main thread) does nothing', () => {
    noteProgress()
    noteHeapUsed(1)
    assert.equal(new ProgressReader(newProgressBuffer()).count, 0)
  })

  it('the reader sees every bump and the last heap figure, each in its own slot', () => {
    const buffer = newProgressBuffer()
    const reader = new ProgressReader(buffer)
    attachProgress(buffer)
    for (let i = 0; i < 3; i++) noteProgress()
    noteHeapUsed(2 ** 40 + 5)
    assert.equal(reader.count, 3)
    assert.equal(reader.heapUsedBytes, 2 ** 40 + 5)
    noteProgress()
    assert.equal(reader.count, 4)
    assert.equal(reader.heapUsedBytes, 2 ** 40 + 5)
  })
})

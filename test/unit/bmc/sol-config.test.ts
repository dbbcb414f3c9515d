// ensureSolAccumulate (src/bmc/sol-config.ts) over a scripted runner: the
// parameter 3 bytes it reads and writes (5 ms units, the threshold kept), a
// BMC that already has the interval is not written to, the answers that mean
// "this BMC will not take it" are an outcome, anything else is thrown. No
// sockets; the wire against real peers: test/integration/sol/accumulate.test.ts.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accumulateUnits, ensureSolAccumulate, SOL_ACCUMULATE_MAX_MS } from '../../../src/bmc/sol-config.js'
import type { CommandRunner } from '../../../src/bmc/runner.js'
import type { IpmiCommand } from '../../../src/ipmi/command.js'
import { CompletionCodeError, IpmiError } from '../../../src/ipmi/errors.js'

type Step = { answer: Buffer } | { cc: number } | { error: Error }

/** A runner that answers each command from `steps` in turn and records what was sent (netFn, cmd, encoded request). */
function scripted(steps: Step[]): CommandRunner & { sent: { cmd: number; data: number[] }[] } {
  const sent: { cmd: number; data: number[] }[] = []
  return {
    sent,
    run<Req, Res>(command: IpmiCommand<Req, Res>, req: Req): Promise<Res> {
      sent.push({ cmd: command.cmd, data: [...command.encode(req)] })
      const s = steps.shift()
      if (s === undefined) throw new Error(`unexpected ${command.name}`)
      if ('error' in s) return Promise.reject(s.error)
      if ('cc' in s) return Promise.reject(new CompletionCodeError({ netFn: command.netFn, cmd: command.cmd, cc: s.cc, command: command.name, meaning: 'x' }))
      return Promise.resolve(command.decode(s.answer, 0))
    },
  }
}
const GET = 0x22
const SET = 0x21
/** Get SOL Configuration Parameters 3's answer: revision 11h, interval units, threshold. */
const param3 = (units: number, threshold: number) => ({ answer: Buffer.from([0x11, units, threshold]) })

describe('SOL character accumulate interval (parameter 3)', () => {
  it('writes the interval in 5 ms units on this channel and keeps the BMC\'s send threshold', async () => {
    const r = scripted([param3(10, 96), { answer: Buffer.alloc(0) }])
    assert.deepEqual(await ensureSolAccumulate(r, 200), { kind: 'set', ms: 200, fromMs: 50 })
    assert.deepEqual(r.sent, [
      { cmd: GET, data: [0x0e, 3, 0, 0] },
      { cmd: SET, data: [0x0e, 3, 40, 96] },
    ])
  })

  it('leaves a BMC that already has it alone (no write)', async () => {
    const r = scripted([param3(40, 128)])
    assert.deepEqual(await ensureSolAccumulate(r, 200), { kind: 'kept', ms: 200 })
    assert.equal(r.sent.length, 1)
  })

  it('rounds up to the unit, and refuses what one byte cannot say', () => {
    assert.equal(accumulateUnits(5), 1)
    assert.equal(accumulateUnits(203), 41)
    assert.equal(accumulateUnits(SOL_ACCUMULATE_MAX_MS), 0xff)
    assert.throws(() => accumulateUnits(0), RangeError)
    assert.throws(() => accumulateUnits(SOL_ACCUMULATE_MAX_MS + 1), RangeError)
  })

  it('a reserved threshold of 0 is written as 1', async () => {
    const r = scripted([param3(10, 0), { answer: Buffer.alloc(0) }])
    await ensureSolAccumulate(r, 100)
    assert.deepEqual(r.sent[1]!.data, [0x0e, 3, 20, 1])
  })

  for (const [what, steps] of [
    ['parameter not supported on read (80h, ipmi_sim)', [{ cc: 0x80 }]],
    ['parameter not supported on write', [param3(10, 128), { cc: 0x80 }]],
    ['read-only (82h)', [param3(10, 128), { cc: 0x82 }]],
    ['insufficient privilege (D4h, an operator session)', [param3(10, 128), { cc: 0xd4 }]],
  ] as const) {
    it(`${what}: refused, with the completion code in the detail`, async () => {
      const out = await ensureSolAccumulate(scripted([...steps]), 200)
      assert.equal(out.kind, 'refused')
      assert.match(out.kind === 'refused' ? out.detail : '', /completion code 0x(80|82|d4)/)
    })
  }

  it('a short answer is refused; a timeout or another completion code is thrown (asked again next time)', async () => {
    assert.equal((await ensureSolAccumulate(scripted([{ answer: Buffer.from([0x11, 10]) }]), 200)).kind, 'refused')
    await assert.rejects(ensureSolAccumulate(scripted([{ error: new IpmiError('BMC_UNREACHABLE', 'no answer') }]), 200), { code: 'BMC_UNREACHABLE' })
    await assert.rejects(ensureSolAccumulate(scripted([param3(10, 128), { cc: 0xc3 }]), 200), { code: 'BMC_COMMAND_FAILED' })
  })
})

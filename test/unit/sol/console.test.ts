// SolConsole over a scripted session port and a ManualClock: activation and
// its refusals, takeover, early output, deadlines, keepalive, loss of the
// session, close. States must follow DESIGN lesson 5.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../../src/session/clock.js'
import { IpmiError } from '../../../src/ipmi/errors.js'
import { decodeSolPacket, encodeSolPacket } from '../../../src/ipmi/sol-packet.js'
import { SolConsole, type SolConsoleOptions, type SolConsoleState } from '../../../src/sol/console.js'
import type { SolError } from '../../../src/sol/errors.js'
import type { RawResponse } from '../../../src/session/request-table.js'
import { cc, FakePort, instanceInfo, ok, simActivateResponse, sourceOf, type Responder } from './fake-port.js'

const ACTIVATE = 0x48
const DEACTIVATE = 0x49
const INSTANCE_INFO = 0x4b
const OWN_ID = 0x1234

/** Answers like a healthy ipmi_sim that gives SOL to session `OWN_ID`. */
function bmc(overrides: Partial<Record<number, Responder>> = {}): Responder {
  return (r, port) => {
    const o = overrides[r.cmd]
    if (o !== undefined) return o(r, port)
    if (r.cmd === ACTIVATE) return simActivateResponse(623)
    if (r.cmd === DEACTIVATE) return ok()
    if (r.cmd === INSTANCE_INFO) return instanceInfo(port.managedSystemSessionId)
    return ok()
  }
}

function setup(responder: Responder = bmc(), opts: SolConsoleOptions = {}) {
  const clock = new ManualClock()
  const port = new FakePort(OWN_ID, responder)
  // No priming packet unless a test asks: it would sit in flight before the data under test.
  const con = new SolConsole(sourceOf(port), { clock, ...opts, tuning: { primeSequence: false, ...opts.tuning } })
  const states: SolConsoleState[] = []
  const errors: SolError[] = []
  const data: Buffer[] = []
  con.on('state', (s, e) => {
    states.push(s)
    if (e !== undefined) errors.push(e)
  })
  con.on('data', (d) => data.push(d))
  return { clock, port, con, states, errors, data }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
const solData = (seq: number, text: string): Buffer => encodeSolPacket({ seq, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.from(text) })

describe('SolConsole.open', () => {
  test('activates SOL encrypted and authenticated like the session, with sizes clamped', async () => {
    const h = setup()
    const act = await h.con.open()
    assert.deepEqual(h.states, ['connecting', 'connected'])
    assert.deepEqual(h.port.requests[0]?.data, Buffer.from([0x01, 0x01, 0xc4, 0, 0, 0]))
    assert.equal(act.maxSendData, 28)
    assert.equal(act.maxReceiveData, 255)
    assert.equal(act.portMismatch, false, 'a byte-swapped port is the session port')
    assert.equal(act.encrypted, true)
  })

  test('output sent with the activation answer is delivered after connected, never dropped', async () => {
    const h = setup(bmc({
      [ACTIVATE]: (_r, port) => {
        port.pushSol(solData(1, 'early '))
        return simActivateResponse(623)
      },
    }))
    let stateAtFirstByte: SolConsoleState | undefined
    h.con.once('data', () => (stateAtFirstByte = h.con.state))
    await h.con.open()
    h.port.pushSol(solData(2, 'later'))
    assert.equal(Buffer.concat(h.data).toString(), 'early later')
    assert.equal(stateAtFirstByte, 'connected')
    assert.deepEqual(h.port.solSent.map((p) => decodeSolPacket(p).ackSeq), [1, 2])
  })

  test('the first SOL packet after activation is the data-less priming packet', async () => {
    const h = setup(bmc(), { tuning: { primeSequence: true } })
    await h.con.open()
    h.con.write(Buffer.from('x'))
    assert.deepEqual(h.port.solSent.map((p) => decodeSolPacket(p)).map((p) => [p.seq, p.data.length]), [[1, 0]])
  })

  test('0x80 without force: sol_busy, and the state never said connected', async () => {
    const h = setup(bmc({ [ACTIVATE]: () => cc(0x80), [INSTANCE_INFO]: () => instanceInfo(0x99) }))
    await assert.rejects(h.con.open(), (e: SolError) => e.reason === 'sol_busy' && e.code === 'SOL_BUSY')
    assert.deepEqual(h.states, ['connecting', 'error'])
    assert.equal(h.errors[0]?.details.reason, 'sol_busy')
    assert.deepEqual(h.port.requests.map((r) => r.cmd), [ACTIVATE, INSTANCE_INFO])
    assert.equal(h.port.subscribers, 0)
  })

  test('0x80 with force: deactivates the holder, activates once more, reports the takeover', async () => {
    let active = true
    const h = setup(bmc({
      [ACTIVATE]: () => (active ? cc(0x80) : simActivateResponse(623)),
      [DEACTIVATE]: () => {
        active = false
        return ok()
      },
      [INSTANCE_INFO]: () => instanceInfo(0x99),
    }))
    const takeovers: unknown[] = []
    h.con.on('takeover', (t) => takeovers.push(t))
    await h.con.open({ force: true })
    assert.deepEqual(h.port.requests.map((r) => r.cmd), [ACTIVATE, INSTANCE_INFO, DEACTIVATE, ACTIVATE])
    assert.deepEqual(takeovers, [{ previousOwner: 0x99, ownGhost: false }])
    assert.deepEqual(h.states, ['connecting', 'connected'])
  })

  test('force retries only once: still busy is sol_busy', async () => {
    const h = setup(bmc({ [ACTIVATE]: () => cc(0x80), [INSTANCE_INFO]: () => instanceInfo(0x99) }))
    await assert.rejects(h.con.open({ force: true }), (e: SolError) => e.reason === 'sol_busy')
    assert.deepEqual(h.port.requests.map((r) => r.cmd), [ACTIVATE, INSTANCE_INFO, DEACTIVATE, ACTIVATE])
  })

  for (const [code, reason] of [[0x81, 'sol_disabled'], [0x82, 'sol_limit_reached'], [0x83, 'sol_encryption_mismatch'], [0xd4, 'insufficient_privilege'], [0xc1, 'sol_refused']] as const) {
    test(`completion code 0x${code.toString(16)} is ${reason}`, async () => {
      const h = setup(bmc({ [ACTIVATE]: () => cc(code) }))
      await assert.rejects(h.con.open(), (e: SolError) => e.reason === reason && e.details.completionCode === code)
      assert.deepEqual(h.states, ['connecting', 'error'])
    })
  }

  for (const [code, reason] of [['BMC_AUTH_FAILED', 'bad_credentials'], ['BMC_UNREACHABLE', 'unreachable'], ['BMC_NO_CIPHER_SUITE', 'protocol']] as const) {
    test(`login failure ${code} is ${reason}`, async () => {
      const clock = new ManualClock()
      const con = new SolConsole(sourceOf(new IpmiError(code, 'login failed')), { clock })
      const states: string[] = []
      con.on('state', (s) => states.push(s))
      await assert.rejects(con.open(), (e: SolError) => e.reason === reason && e.code === code)
      assert.deepEqual(states, ['connecting', 'error'])
    })
  }

  test('still connecting at the deadline: timeout; an activation that succeeds later is given back', async () => {
    let answer: ((r: RawResponse) => void) | undefined
    const h = setup(bmc({ [ACTIVATE]: () => new Promise((r) => (answer = r)) }), { openTimeoutMs: 15_000 })
    const opening = h.con.open()
    await tick()
    h.clock.advance(15_000)
    await assert.rejects(opening, (e: SolError) => e.reason === 'timeout')
    assert.deepEqual(h.states, ['connecting', 'error'])
    answer?.(simActivateResponse(623))
    await tick()
    assert.deepEqual(h.port.requests.map((r) => r.cmd), [ACTIVATE, DEACTIVATE])
  })

  test('open() while connected is refused', async () => {
    const h = setup()
    await h.con.open()
    await assert.rejects(h.con.open(), /close it before opening again/)
  })
})

describe('SolConsole liveness', () => {
  test('keepalive every 5 s (half the 10 s liveness) checks that SOL is still ours; another owner is sol_deactivated', async () => {
    let owner = OWN_ID
    const h = setup(bmc({ [INSTANCE_INFO]: () => instanceInfo(owner) }))
    await h.con.open()
    h.clock.advance(4999)
    await tick()
    assert.notEqual(h.port.requests.at(-1)?.cmd, INSTANCE_INFO, 'not before the interval')
    h.clock.advance(1)
    await tick()
    const ka = h.port.requests.at(-1)
    assert.equal(ka?.cmd, INSTANCE_INFO)
    // The keepalive's own deadline plus its interval stay 2 s inside the 10 s liveness budget, and its
    // tries are evenly spaced (the session's retransmit 1 s apart: three in the 3 s).
    assert.ok((ka?.opts?.timeoutMs ?? Infinity) + 5000 <= 8000)
    assert.equal(ka?.opts?.backoffMs, 0)
    owner = 0x77
    h.clock.advance(5000)
    await tick()
    assert.deepEqual(h.states, ['connecting', 'connected', 'error'])
    assert.equal(h.errors[0]?.reason, 'sol_deactivated')
  })

  for (const diesAt of [1, 2500, 4999]) {
    test(`a BMC that stops answering ${diesAt} ms after a keepalive answer is reported unreachable within the 10 s liveness budget`, async () => {
      let dead = false
      let lastAnswerAt = 0
      // Answers while alive; once dead, the request fails at its own deadline, as the request table's does.
      const h = setup(bmc({
        [INSTANCE_INFO]: (r, port) => {
          if (!dead) {
            lastAnswerAt = clock.now()
            return instanceInfo(port.managedSystemSessionId)
          }
          return new Promise<RawResponse>((_, reject) => clock.setTimeout(() => reject(new IpmiError('BMC_UNREACHABLE', 'no answer', { details: { attempts: 3 } })), r.opts?.timeoutMs ?? 0))
        },
      }))
      const clock = h.clock
      await h.con.open()
      h.clock.advance(5000) // the first keepalive, answered
      await tick()
      assert.equal(lastAnswerAt, 5000)
      h.clock.advance(diesAt)
      dead = true
      let reportedAt: number | undefined
      h.con.on('state', (s) => {
        if (s === 'error') reportedAt = clock.now()
      })
      const stepMs = 10
      for (let i = 0; i < 1500 && reportedAt === undefined; i++) {
        h.clock.advance(stepMs)
        await tick()
      }
      assert.equal(h.errors[0]?.reason, 'unreachable')
      // Interval 5 s + the request's 3 s: 2 s inside the budget (to the clock step here).
      assert.ok(reportedAt !== undefined && reportedAt - lastAnswerAt <= 10_000 - 2000 + stepMs, `reported ${reportedAt! - lastAnswerAt} ms after the last answer`)
    })
  }

  test('an unanswered keepalive is unreachable; the next open takes our ghost back without force', async () => {
    const clock = new ManualClock()
    const first = new FakePort(OWN_ID, bmc({ [INSTANCE_INFO]: () => Promise.reject(new IpmiError('BMC_UNREACHABLE', 'no answer', { details: { attempts: 4 } })) }))
    let ghostActive = true
    const second = new FakePort(0x2000, bmc({
      [ACTIVATE]: () => (ghostActive ? cc(0x80) : simActivateResponse(623)),
      [INSTANCE_INFO]: (_r, p) => instanceInfo(ghostActive ? OWN_ID : p.managedSystemSessionId),
      [DEACTIVATE]: () => {
        ghostActive = false
        return ok()
      },
    }))
    const con = new SolConsole(sourceOf(first, second), { clock })
    const seen: string[] = []
    con.on('state', (s, e) => seen.push(e === undefined ? s : `${s}:${e.reason}`))
    await con.open()
    clock.advance(5000)
    await tick()
    assert.deepEqual(seen, ['connecting', 'connected', 'error:unreachable'])
    assert.equal(first.lost?.code, 'BMC_UNREACHABLE')
    const act = await con.open()
    assert.deepEqual(act.takeover, { previousOwner: OWN_ID, ownGhost: true })
  })

  test('an unanswered keepalive while SOL packets kept coming is not unreachable (a starved thread, not a dead BMC)', async () => {
    let answer: ((r: RawResponse) => void) | undefined
    let refuse: ((e: Error) => void) | undefined
    const h = setup(bmc({ [INSTANCE_INFO]: () => new Promise<RawResponse>((res, rej) => {
      answer = res
      refuse = rej
    }) }))
    await h.con.open()
    h.clock.advance(5000)
    await tick()
    h.port.pushSol(solData(1, 'boot\r\n')) // the BMC sends after the keepalive went out
    refuse!(new IpmiError('BMC_UNREACHABLE', 'no answer'))
    await tick()
    assert.deepEqual(h.states, ['connecting', 'connected'])
    assert.equal(h.con.keepaliveForgiven, 1)
    assert.equal(h.port.lost, undefined)
    // The next keepalive with no SOL packet since it was sent is judged as before.
    h.clock.advance(5000)
    await tick()
    refuse!(new IpmiError('BMC_UNREACHABLE', 'no answer'))
    await tick()
    assert.deepEqual(h.states, ['connecting', 'connected', 'error'])
    assert.equal(h.errors[0]?.reason, 'unreachable')
    void answer
  })

  test('keepalive falls back to Get Device ID when the BMC refuses Get Payload Instance Info', async () => {
    const h = setup(bmc({ [INSTANCE_INFO]: () => cc(0xc1) }))
    await h.con.open()
    for (let i = 0; i < 2; i++) {
      h.clock.advance(5000)
      await tick()
    }
    assert.deepEqual(h.port.commands().slice(-2), ['06/4b', '06/1'])
    assert.equal(h.con.state, 'connected')
  })

  test('the session lost under the console: unreachable; closed by its owner: sol_deactivated', async () => {
    const a = setup()
    await a.con.open()
    a.port.end(new IpmiError('BMC_UNREACHABLE', 'gone'))
    assert.equal(a.errors[0]?.reason, 'unreachable')
    const b = setup()
    await b.con.open()
    b.port.end(new IpmiError('BMC_SESSION_CLOSED', 'session closed'))
    assert.equal(b.errors[0]?.reason, 'sol_deactivated')
  })

  test('SOL data never ACKed: unreachable within the liveness budget', async () => {
    const h = setup(bmc(), { livenessTimeoutMs: 10_000, keepaliveIntervalMs: 60_000 })
    await h.con.open()
    h.con.write(Buffer.from('hello'))
    for (let t = 0; t < 10_000 && h.con.state === 'connected'; t += 100) {
      h.clock.advance(100)
      await tick()
    }
    assert.equal(h.errors[0]?.reason, 'unreachable')
    assert.ok(h.clock.now() <= 10_000, `detected at ${h.clock.now()} ms`)
  })
})

describe('SolConsole.close and writes', () => {
  test('close waits for queued input, deactivates, leaves the session to its owner', async () => {
    const h = setup()
    await h.con.open()
    h.con.write(Buffer.from('exit\r'))
    const closing = h.con.close()
    assert.throws(() => h.con.write(Buffer.from('x')), /closing/)
    const sent = decodeSolPacket(h.port.solSent.at(-1)!)
    h.port.pushSol(encodeSolPacket({ seq: 0, ackSeq: sent.seq, acceptedCount: sent.data.length, flags: 0, data: Buffer.alloc(0) }))
    await closing
    assert.deepEqual(h.states, ['connecting', 'connected', 'closed'])
    assert.equal(h.port.requests.at(-1)?.cmd, DEACTIVATE)
    assert.equal(h.port.closedCalls, 0)
    assert.equal(h.port.subscribers, 0)
    assert.equal(h.clock.pending, 0, 'no timers left')
    assert.throws(() => h.con.write(Buffer.from('x')), /closed/)
  })

  test('closeSessionOnClose closes the session after deactivating; close is idempotent', async () => {
    const h = setup(bmc(), { closeSessionOnClose: true })
    await h.con.open()
    await Promise.all([h.con.close(), h.con.close()])
    await h.con.close()
    assert.equal(h.port.closedCalls, 1)
    assert.deepEqual(h.states, ['connecting', 'connected', 'closed'])
  })

  test('close while connecting abandons the attempt', async () => {
    let answer: ((r: RawResponse) => void) | undefined
    const h = setup(bmc({ [ACTIVATE]: () => new Promise((r) => (answer = r)) }))
    const opening = h.con.open()
    await tick()
    await h.con.close()
    answer?.(simActivateResponse(623))
    await assert.rejects(opening)
    await tick()
    assert.deepEqual(h.states, ['connecting', 'closed'])
    assert.equal(h.port.requests.at(-1)?.cmd, DEACTIVATE)
  })

  test('write before open throws', () => {
    const h = setup()
    assert.throws(() => h.con.write(Buffer.from('x')), /idle/)
  })
})

// Console credit between a worker and the main thread (src/bridge/credit.ts):
// the worker has credit while the bytes it posted and the main thread has not
// processed stay under the window, and gets it back as the main thread processes.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { attachCredit, CreditLedger, hasConsoleCredit, newCreditBuffer, spendConsoleCredit, takeCreditRefusals } from '../../../src/bridge/credit.js'

describe('console credit', () => {
  it('with no buffer attached (the main thread) there is always credit and spending does nothing', () => {
    spendConsoleCredit(1 << 20)
    assert.equal(hasConsoleCredit(), true)
  })

  it('runs out at the window and comes back as the main thread processes', () => {
    const buffer = newCreditBuffer()
    const ledger = new CreditLedger(buffer)
    attachCredit(buffer, 1000)
    spendConsoleCredit(600)
    assert.equal(hasConsoleCredit(), true)
    spendConsoleCredit(400)
    takeCreditRefusals()
    assert.equal(hasConsoleCredit(), false)
    assert.equal(hasConsoleCredit(), false)
    assert.equal(takeCreditRefusals(), 2, 'each no is counted (one BMC packet left unacknowledged)')
    assert.equal(takeCreditRefusals(), 0)
    assert.equal(ledger.inFlight, 1000)
    ledger.processed(1)
    assert.equal(hasConsoleCredit(), true)
    assert.equal(ledger.inFlight, 999)
  })

  it('stays exact when the counters wrap past 2^31', () => {
    const buffer = newCreditBuffer()
    const ledger = new CreditLedger(buffer)
    attachCredit(buffer, 1000)
    for (let i = 0; i < 5; i++) {
      spendConsoleCredit(2 ** 30)
      ledger.processed(2 ** 30)
    }
    spendConsoleCredit(999)
    assert.equal(ledger.inFlight, 999)
    assert.equal(hasConsoleCredit(), true)
    spendConsoleCredit(1)
    assert.equal(hasConsoleCredit(), false)
  })
})

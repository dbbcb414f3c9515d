// The CLI's command list is defined once (cli/commands.ts) and the registry's
// verbs derive the rest: main.ts dispatches every listed command, the
// completion scripts offer every command and every verb's action words, and
// the table cells read the op results as src/bmc returns them.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { FIXED_COMMANDS } from '../../../src/cli/commands.js'
import { bashScript, completions, zshScript } from '../../../src/cli/completion.js'
import { cliVerbs, useColour, wantsProgress } from '../../../src/cli/op-command.js'
import { boardCell, healthCell, selLastCell, sensorCountCell, usersCell } from '../../../src/ops/cli-cells.js'

describe('CLI command list and completion', () => {
  it('main.ts dispatches every listed command', () => {
    const main = readFileSync(new URL('../../../src/cli/main.ts', import.meta.url), 'utf8')
    for (const c of FIXED_COMMANDS) assert.ok(main.includes(`case '${c.name}':`), `main.ts handles ${c.name}`)
  })

  it('the scripts offer every command and every verb word', () => {
    const c = completions()
    const bash = bashScript(c)
    const zsh = zshScript(c)
    for (const name of [...FIXED_COMMANDS.map((f) => f.name), ...cliVerbs().keys()]) {
      assert.ok(c.commands.some((x) => x.name === name), name)
      assert.match(zsh, new RegExp(`'${name}:`))
    }
    for (const [verb, ops] of cliVerbs()) {
      const words = ops.flatMap((o) => o.cli.words).join(' ')
      assert.ok(bash.includes(`    ${verb}) `) && bash.includes(`-W "${words}"`), `bash completes ${verb} ${words}`)
      assert.ok(zsh.includes(`compadd -- ${words}`), `zsh completes ${verb}`)
    }
  })

  it('colour needs a terminal and no NO_COLOR; a progress bar needs a range longer than the terminal', () => {
    assert.equal(useColour({ isTTY: true } as never, {}), true)
    assert.equal(useColour({ isTTY: true } as never, { NO_COLOR: '1' }), false)
    assert.equal(useColour({ isTTY: true } as never, { NO_COLOR: '' }), true)
    assert.equal(useColour({} as never, {}), false)
    assert.equal(wantsProgress({ isTTY: true, rows: 40 } as never, 40), false)
    assert.equal(wantsProgress({ isTTY: true, rows: 40 } as never, 41), true)
    assert.equal(wantsProgress({ rows: 1 } as never, 41), false)
  })

  it('cells read the results as src/bmc returns them', () => {
    const field = (value: string) => ({ value, encoding: 'ascii' })
    assert.equal(boardCell([{ fruId: 0, name: 'Builtin FRU Device', inventory: { board: { manufacturer: field('Acme '), productName: field('X11') } } }]), 'Acme X11')
    assert.equal(boardCell([{ fruId: 0, name: 'Builtin FRU Device', error: 'timeout' }]), '-')
    assert.equal(healthCell({ status: 'critical', problems: [{ sensor: 'CPU Temp', sensorNumber: 1, health: 'critical', reason: 'upper critical' }] }), 'critical: CPU Temp (upper critical)')
    for (const odd of [null, 'x', 42]) assert.doesNotThrow(() => [boardCell(odd), healthCell(odd), sensorCountCell(odd), selLastCell(odd), usersCell(odd)])
    assert.equal(sensorCountCell(null), '?')
    assert.equal(usersCell({}), '?')
    assert.equal(usersCell([{ id: 1, name: '' }, { id: 2, name: 'admin', privilege: 'administrator', enabled: true }, { id: 3, name: 'ops', privilege: 'operator', enabled: false }]), '2:admin(administrator) 3:ops(operator,disabled)')
  })
})

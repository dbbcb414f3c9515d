// `bmcvisor completion bash|zsh` as a user loads it: the real CLI process
// prints the script, bash sources it, registers the completion function,
// and completes commands, a verb's action words after RANGE, a fixed
// command's subcommands and a verb's options; with a server to ask, node
// names and @groups (through a `bmcvisor` on PATH, as installed).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { testApi } from '../api/helpers.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function run(file: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 30_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** What the bash completion function offers for the words typed so far (the last one being completed). */
const complete = (words: string[]): string => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _bmcvisor; echo "\${COMPREPLY[*]}"`

describe('bmcvisor completion', () => {
  it('prints a bash script that bash loads and that completes commands, words and options', async () => {
    const script = await run(process.execPath, ['--import', 'tsx', CLI, 'completion', 'bash'])
    assert.equal(script.code, 0, script.stderr)
    const probe = [
      'complete -p bmcvisor',
      complete(['bmcvisor', 'inv']),
      complete(['bmcvisor', 'power', 'n[1-4]', 'o']),
      complete(['bmcvisor', 'node', 'i']),
      complete(['bmcvisor', 'events', '@rack1', '--nd']),
      complete(['bmcvisor', 'identify', 'n1', '']),
    ].join('\n')
    const r = await run('bash', ['--norc', '-c', `source /dev/stdin <<'BMCVISOR_EOF'\n${script.stdout}\nBMCVISOR_EOF\n${probe}`])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.deepEqual(r.stdout.trimEnd().split('\n'), ['complete -F _bmcvisor bmcvisor', 'inventory', 'on off', 'import', '--ndjson', 'on off blink'])
  })

  it('completes node names and @groups from the server, the last element of a comma list too, and nothing without a server', async () => {
    const t = await testApi()
    const bin = mkdtempSync(join(tmpdir(), 'bmcvisor-bin-'))
    try {
      await t.app.listen({ host: '127.0.0.1', port: 0 })
      const addr = t.app.server.address() as { port: number }
      for (const [name, groups] of [['n1', ['rack1']], ['n2', ['rack1']], ['n10', ['gpu']], ['web1', []]] as const) {
        await t.store.nodes.create({ name, bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [...groups] })
      }
      writeFileSync(join(bin, 'bmcvisor'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(CLI)} "$@"\n`)
      chmodSync(join(bin, 'bmcvisor'), 0o755)
      const script = await run(process.execPath, ['--import', 'tsx', CLI, 'completion', 'bash'])
      const probe = [
        complete(['bmcvisor', 'power', 'n']),
        complete(['bmcvisor', 'health', 'n1,n']),
        complete(['bmcvisor', 'events', '@']),
        complete(['bmcvisor', 'console', 'w']),
        complete(['bmcvisor', 'worker', 'show', 'n1']),
      ].join('\n')
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, BMCVISOR_URL: `http://127.0.0.1:${addr.port}`, BMCVISOR_TOKEN: t.tokens.viewer }
      const r = await run('bash', ['--norc', '-c', `source /dev/stdin <<'BMCVISOR_EOF'\n${script.stdout}\nBMCVISOR_EOF\n${probe}`], undefined, env)
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.stdout.trimEnd().split('\n'), ['n1 n2 n10', 'n1,n1 n1,n2 n1,n10', '@gpu @rack1', 'web1', 'n1 n10'])
      // No server (or no token): no names, no error on the terminal.
      const none = await run('bash', ['--norc', '-c', `source /dev/stdin <<'BMCVISOR_EOF'\n${script.stdout}\nBMCVISOR_EOF\n${complete(['bmcvisor', 'power', 'n'])}`], undefined, { ...env, BMCVISOR_TOKEN: '' })
      assert.deepEqual([none.code, none.stdout, none.stderr], [0, '\n', ''])
    } finally {
      await t.close()
      rmSync(bin, { recursive: true, force: true })
    }
  })

  it('prints a zsh script and refuses an unknown shell with a usage error', async () => {
    const zsh = await run(process.execPath, ['--import', 'tsx', CLI, 'completion', 'zsh'])
    assert.equal(zsh.code, 0, zsh.stderr)
    assert.match(zsh.stdout, /^#compdef bmcvisor\n/)
    assert.match(zsh.stdout, /'serve:run the service\\: REST API/)
    assert.match(zsh.stdout, /compdef _bmcvisor bmcvisor\n$/)
    const bad = await run(process.execPath, ['--import', 'tsx', CLI, 'completion', 'fish'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^bmcvisor: VALIDATION_FAILED: completion takes one shell: bash or zsh/)
  })
})

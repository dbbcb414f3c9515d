// `bmcvisor completion bash|zsh` as a user loads it: the real CLI process
// prints the script, bash sources it, registers the completion function,
// and completes commands, a verb's action words after RANGE, a fixed
// command's subcommands and a verb's options.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function run(file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
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

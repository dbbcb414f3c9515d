// An interactive third-party client (ipmitool sol activate, ipmiconsole under
// `script`) driven through pipes: collect its output, wait for a pattern with
// a deadline (no fixed sleeps), type into it, wait for its exit. Kills the
// process when the test ends, whatever happened.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import type { TestContext } from 'node:test'

export interface Interactive {
  readonly child: ChildProcessWithoutNullStreams
  /** stdout and stderr so far, as latin1 text. */
  output(): string
  /** Resolves when the output matches; rejects with the output so far at the deadline or if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>
  type(s: string): void
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>
}

export function interactive(t: TestContext, cmd: string, args: string[]): Interactive {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let done = false
  const waiters = new Set<() => void>()
  const onData = (b: Buffer) => {
    out += b.toString('latin1')
    for (const w of [...waiters]) w()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  child.stdin.on('error', () => {}) // the tool may exit before we stop typing
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    done = true
    for (const w of [...waiters]) w()
    resolve(code)
  }))
  t.after(() => {
    if (!done) child.kill('SIGKILL')
  })
  return {
    child,
    output: () => out,
    exited,
    type: (s) => void child.stdin.write(s),
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out)
          if (m !== null) {
            finish()
            resolve(m[0])
          } else if (done) {
            finish()
            reject(new Error(`${cmd} exited before ${re}; output:\n${out}`))
          }
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`no ${re} from ${cmd} within ${timeoutMs} ms; output:\n${out}`))
        }, timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}

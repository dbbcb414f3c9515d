// SSH lab: Debian's OpenSSH server (/usr/sbin/sshd) as a BMC's SSH console,
// on 127.0.0.1 and a free port, with its own host key (ssh-keygen, in a temp
// dir) and a ForceCommand that plays the host's serial console: the line is
// put in raw mode (no echo, no CR/LF translation, so tests are byte-exact),
// the bytes of `setScreen()` are printed, then every input byte is echoed
// back (cat). The command the client asked for (console.command) is written
// to a file (`lastCommand()`).
// Auth: a dedicated system user (LAB_SSH_USER) with a password, by password
// or by keyboard-interactive (PAM), as BMCs do; creating it needs root.
// sshd runs under ipmi-sim/supervise.sh, so it never outlives the test process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort, LOOPBACK } from './net.js'
import { inCi } from './tools.js'

export const SSHD = '/usr/sbin/sshd'
const SSH_KEYGEN = '/usr/bin/ssh-keygen'
/** The lab's SSH account (within the node model's 16-byte user and 20-byte password limits). */
export const LAB_SSH_USER = { user: 'bmcvisor-lab', password: 'lab-ssh-secret-1' } as const
const SUPERVISE = new URL('./ipmi-sim/supervise.sh', import.meta.url).pathname
/** sshd's privilege separation directory (Debian's package creates it at boot, a container may not have it). */
const PRIVSEP_DIR = '/run/sshd'
const START_ATTEMPTS = 3

export type SshAuth = 'password' | 'keyboard-interactive'

export interface Sshd {
  readonly host: string
  readonly port: number
  /** The host key's fingerprint as `ssh-keygen -lf` prints it (SHA256:...). */
  readonly fingerprint: string
  /** Everything sshd logged (LogLevel DEBUG1, on stderr). */
  log(): string
  /** What the console prints to each new connection before echoing. */
  setScreen(bytes: Uint8Array): void
  /** The command the last connection asked for ('' for a shell). */
  lastCommand(): string
  /** SIGKILL to sshd and every session it started: the BMC is gone. */
  kill(): Promise<void>
  /** SIGSTOP to sshd and every session: a hung BMC (connections stay open, nothing answers). */
  pause(): void
  resume(): void
  /** Starts again on the same port with the same host key. */
  restart(): Promise<void>
  /** A new host key (the next start shows it): a replaced BMC, or someone in between. */
  newHostKey(): string
  stop(): Promise<void>
}

/** True when the lab can run here; else skips, or throws under CI (a missing tool is a failure there). */
export function requireSshd(t: TestContext): boolean {
  let why: string | undefined
  try {
    execFileSync(SSHD, ['-V'], { stdio: 'ignore' })
  } catch {
    why = `${SSHD} not runnable (Debian package openssh-server)`
  }
  if (why === undefined && process.getuid?.() !== 0) why = 'the SSH lab creates its user and runs sshd: it needs root'
  if (why === undefined) return true
  if (inCi()) throw new Error(`${why}; CI is set, so this is a failure, not a skip`)
  t.skip(why)
  return false
}

/** The lab user exists with the lab password (idempotent: a system user, no home, /bin/sh for ForceCommand). */
function ensureLabUser(): number {
  try {
    execFileSync('id', ['-u', LAB_SSH_USER.user], { stdio: 'ignore' })
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/', '--shell', '/bin/sh', LAB_SSH_USER.user])
  }
  execFileSync('chpasswd', [], { input: `${LAB_SSH_USER.user}:${LAB_SSH_USER.password}\n` })
  return Number(execFileSync('id', ['-u', LAB_SSH_USER.user], { encoding: 'utf8' }).trim())
}

const CONSOLE_SCRIPT = `#!/bin/sh
# The host's serial console: raw line, the screen file, then an echo of every byte.
dir=$(dirname "$0")
printf '%s' "$SSH_ORIGINAL_COMMAND" > "$dir/run/last-command"
stty raw -echo 2>/dev/null
[ -f "$dir/screen" ] && cat "$dir/screen"
exec cat
`

function sshdConfig(dir: string, port: number, auth: SshAuth): string {
  return [
    `ListenAddress ${LOOPBACK}`, `Port ${port}`, `HostKey ${join(dir, 'host_key')}`, 'PidFile none',
    `UsePAM ${auth === 'keyboard-interactive' ? 'yes' : 'no'}`,
    `PasswordAuthentication ${auth === 'password' ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${auth === 'keyboard-interactive' ? 'yes' : 'no'}`,
    'PubkeyAuthentication no', 'PermitRootLogin no', `AllowUsers ${LAB_SSH_USER.user}`,
    `ForceCommand ${join(dir, 'console.sh')}`, 'StrictModes no', 'PrintMotd no', 'PrintLastLog no',
    // One wrong password ends the connection at once (the client's methods then all failed).
    'MaxAuthTries 2', 'LogLevel DEBUG1', '',
  ].join('\n')
}

function fingerprintOf(pubFile: string): string {
  const out = execFileSync(SSH_KEYGEN, ['-lf', pubFile], { encoding: 'utf8' })
  const m = /(SHA256:[A-Za-z0-9+/]{43})/.exec(out)
  if (m === null) throw new Error(`ssh-keygen -lf printed no SHA256 fingerprint: ${out}`)
  return m[1]!
}

function generateHostKey(dir: string): string {
  rmSync(join(dir, 'host_key'), { force: true })
  rmSync(join(dir, 'host_key.pub'), { force: true })
  execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')])
  return fingerprintOf(join(dir, 'host_key.pub'))
}

/** Every process below `pid` (sshd's per-connection children and their sessions), from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(e), ppid)
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) { out.push(child); walk(child) }
  }
  walk(pid)
  return out
}

export async function startSshd(opts: { auth?: SshAuth } = {}): Promise<Sshd> {
  const auth = opts.auth ?? 'password'
  const uid = ensureLabUser()
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 })
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-sshd-'))
  chmodSync(dir, 0o755)
  mkdirSync(join(dir, 'run'))
  chownSync(join(dir, 'run'), uid, -1)
  writeFileSync(join(dir, 'console.sh'), CONSOLE_SCRIPT, { mode: 0o755 })
  let fingerprint = generateHostKey(dir)
  let port = 0
  let child: ChildProcess | undefined
  let sshdPid: number | undefined
  let logText = ''

  const startOnce = async (p: number): Promise<boolean> => {
    writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, p, auth))
    const c = spawn(SUPERVISE, [SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['pipe', 'pipe', 'pipe'] })
    child = c
    c.stderr!.setEncoding('utf8')
    c.stdout!.setEncoding('utf8')
    return new Promise<boolean>((resolve) => {
      let out = ''
      c.stdout!.on('data', (s: string) => {
        out += s
        const m = /pid (\d+)/.exec(out)
        if (m !== null) sshdPid = Number(m[1])
        if (/exit \d+/.test(out)) resolve(false)
      })
      c.stderr!.on('data', (s: string) => {
        logText += s
        if (logText.includes(`Server listening on ${LOOPBACK} port ${p}.`)) resolve(true)
      })
      c.once('exit', () => resolve(false))
    })
  }
  const start = async (fixedPort?: number) => {
    for (let i = 0; i < START_ATTEMPTS; i++) {
      const p = fixedPort ?? await freePort('tcp')
      if (await startOnce(p)) {
        port = p
        return
      }
    }
    throw new Error(`sshd did not start: ${logText.slice(-2000)}`)
  }
  const killAll = async () => {
    const c = child
    if (c === undefined || c.exitCode !== null) return
    const pids = sshdPid !== undefined ? [sshdPid, ...descendants(sshdPid)] : []
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    c.stdin!.end()
    await exited
    child = undefined
    sshdPid = undefined
  }
  const signalAll = (sig: NodeJS.Signals) => {
    if (sshdPid === undefined) return
    for (const pid of [sshdPid, ...descendants(sshdPid)]) {
      try {
        process.kill(pid, sig)
      } catch {
        // gone meanwhile
      }
    }
  }
  await start()
  return {
    host: LOOPBACK,
    get port() {
      return port
    },
    get fingerprint() {
      return fingerprint
    },
    log: () => logText,
    setScreen: (bytes) => writeFileSync(join(dir, 'screen'), bytes, { mode: 0o644 }),
    lastCommand: () => {
      try {
        return readFileSync(join(dir, 'run', 'last-command'), 'utf8')
      } catch {
        return ''
      }
    },
    kill: killAll,
    pause: () => signalAll('SIGSTOP'),
    resume: () => signalAll('SIGCONT'),
    restart: () => start(port),
    newHostKey: () => (fingerprint = generateHostKey(dir)),
    async stop() {
      signalAll('SIGCONT')
      await killAll()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

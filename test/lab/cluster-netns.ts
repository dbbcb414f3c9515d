/**
 * A network namespace for one cluster instance, joined to the host by a veth
 * pair with a /30 of its own (10.213.X.Y, from our pid): the host side
 * (`outside`) is where PostgreSQL and the BMCs listen for it, the namespace
 * side (`inside`) is where it serves. cut() drops, inside the namespace,
 * every TCP packet to and from PostgreSQL's port (iptables), so the
 * instance's connections hang as in a real partition, without a reset;
 * heal() removes the rules. Needs root (ip, iptables); netnsSkip() says why
 * not. Owns the namespace and the veth pair: remove() (also on exit) deletes
 * both, and a leftover of an earlier run with our names is deleted first.
 */
import { execFileSync } from 'node:child_process'
import { inCi, onPath } from './tools.js'

/** Subnet of the lab's pairs: 10.213.0.0/16, one /30 per test process. */
const SUBNET_PREFIX = '10.213'

export interface Netns {
  readonly name: string
  /** Host side of the veth pair. */
  readonly outside: string
  /** Namespace side. */
  readonly inside: string
  /** The /30 both are in. */
  readonly network: string
  /** True between cut() and heal(). */
  readonly isCut: boolean
  /** Drops TCP to and from `port` on `outside` inside the namespace. */
  cut(port: number): void
  heal(): void
  remove(): void
}

/** False when a namespace can be made here, else why not (a skip; under CI, a failure). */
export function netnsSkip(): string | false {
  const why = process.getuid?.() !== 0 ? 'network namespaces need root' : !onPath('ip') || !onPath('iptables') ? 'ip and iptables not on PATH (apt-get install iproute2 iptables)' : undefined
  if (why === undefined) return false
  if (inCi() && process.getuid?.() === 0) throw new Error(`${why}; CI is set and we are root, so this is a failure, not a skip`)
  return why
}

function run(args: string[], quiet = false): void {
  try {
    execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'pipe'] })
  } catch (e) {
    if (!quiet) throw new Error(`${args.join(' ')} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`, { cause: e })
  }
}

export function createNetns(): Netns {
  const pid = process.pid
  const name = `bmcv-fail-${pid}`
  const host = `bvf${pid % 10_000_000}h`
  const peer = `bvf${pid % 10_000_000}n`
  const base = (pid % 16_384) * 4
  const third = Math.floor(base / 256)
  const fourth = base % 256
  const outside = `${SUBNET_PREFIX}.${third}.${fourth + 1}`
  const inside = `${SUBNET_PREFIX}.${third}.${fourth + 2}`
  const network = `${SUBNET_PREFIX}.${third}.${fourth}/30`
  const remove = () => {
    run(['ip', 'netns', 'del', name], true)
    run(['ip', 'link', 'del', host], true)
  }
  remove()
  process.on('exit', remove)
  try {
    run(['ip', 'netns', 'add', name])
    run(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer])
    run(['ip', 'link', 'set', peer, 'netns', name])
    run(['ip', 'addr', 'add', `${outside}/30`, 'dev', host])
    run(['ip', 'link', 'set', host, 'up'])
    run(['ip', 'netns', 'exec', name, 'ip', 'addr', 'add', `${inside}/30`, 'dev', peer])
    run(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', peer, 'up'])
    run(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'])
  } catch (e) {
    remove()
    throw e
  }
  let rules: string[][] = []
  return {
    name, outside, inside, network,
    get isCut() {
      return rules.length > 0
    },
    cut(port) {
      if (rules.length > 0) return
      rules = [['OUTPUT', '-d', outside, '-p', 'tcp', '--dport', String(port), '-j', 'DROP'], ['INPUT', '-s', outside, '-p', 'tcp', '--sport', String(port), '-j', 'DROP']]
      for (const r of rules) run(['ip', 'netns', 'exec', name, 'iptables', '-A', ...r])
    },
    heal() {
      for (const r of rules) run(['ip', 'netns', 'exec', name, 'iptables', '-D', ...r])
      rules = []
    },
    remove() {
      process.off('exit', remove)
      remove()
    },
  }
}

/**
 * The bmcvisor subcommands that are not op-registry verbs, once: `bmcvisor
 * help` and the shell completion scripts (completion.ts) list them; main.ts
 * dispatches them (its switch is checked against this list by
 * test/unit/cli/completion.test.ts).
 */
export interface FixedCommand {
  name: string
  help: string
  /** The words completion offers after the command (subcommands). */
  words?: readonly string[]
  /** The position (1: the word after the command) at which completion offers node names and @groups. */
  nodeAt?: number
  /** The options completion offers for a word starting with `-`. */
  flags?: readonly string[]
}

/** `bmcvisor console-grep`'s options, once: its parseArgs takes them (console-grep.ts) and completion offers them. */
export const CONSOLE_GREP_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  context: { type: 'string', short: 'C' },
  limit: { type: 'string' },
  'ignore-case': { type: 'boolean', short: 'i' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** `bmcvisor cluster`'s subcommands, once: cluster.ts dispatches them and completion offers them. */
export const CLUSTER_SUBCOMMANDS = ['status', 'drain'] as const

export const FIXED_COMMANDS: readonly FixedCommand[] = [
  { name: 'ipmi', help: 'talk to one BMC directly (bmcvisor ipmi --help)', words: ['power', 'mc', 'chassis', 'bootdev', 'identify', 'sdr', 'sensors', 'fru', 'sel', 'user', 'sol'] },
  { name: 'sim', help: 'run simulated BMCs on loopback (bmcvisor sim --count N [--base-port P] [--redfish])' },
  { name: 'serve', help: 'run the service: REST API and one worker per BMC (bmcvisor serve --help)' },
  { name: 'config', help: 'check a serve configuration file, or print an example (bmcvisor config check FILE)', words: ['check', 'example'] },
  { name: 'token', help: 'create, list or revoke API tokens in the data directory (works without a server)', words: ['create', 'list', 'set', 'revoke'] },
  { name: 'node', help: 'add, list, show, set, rm, import nodes, reset-profile on a running server (BMCVISOR_URL, BMCVISOR_TOKEN)', words: ['add', 'list', 'show', 'set', 'rm', 'import', 'reset-profile'], nodeAt: 2 },
  { name: 'console', help: 'attach a terminal to a node\'s console on a running server (bmcvisor console NODE [--ro])', nodeAt: 1 },
  { name: 'console-grep', help: 'search the console logs of a range, like grep (bmcvisor console-grep RANGE REGEX [--since 2h] [-C N] [-i])', flags: Object.keys(CONSOLE_GREP_OPTIONS).map((k) => `--${k}`), nodeAt: 1 },
  { name: 'worker', help: 'restart parked workers, or show them (bmcvisor worker restart|show RANGE)', words: ['restart', 'show'], nodeAt: 2 },
  { name: 'cluster', help: 'cluster members, leases and node counts, or drain a member (bmcvisor cluster status|drain ID)', words: CLUSTER_SUBCOMMANDS },
  { name: 'completion', help: 'print a shell completion script (bmcvisor completion bash|zsh)', words: ['bash', 'zsh'] },
]

/**
 * `bmcvisor completion bash|zsh`: a completion script for the shell, derived
 * from the fixed commands (commands.ts) and the op registry's CLI verbs with
 * their action words, so a new op or command completes without an edit here.
 * A RANGE (and a console's or worker's node) completes to the node names
 * and @groups of the running server (`bmcvisor completion nodes`, with a
 * short deadline, nothing when the server cannot be asked); after it, the
 * verb's words, and `--` the verb's options.
 * Load it with `source <(bmcvisor completion bash)` (bash) or, after
 * `autoload -U compinit && compinit`, `source <(bmcvisor completion zsh)`.
 */
import { assertNever } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import { FIXED_COMMANDS } from './commands.js'
import { reportError } from './errors-out.js'
import { naturalCompare } from '../api/noderange.js'
import { clientFromEnv, type ApiClient } from './client.js'
import { cliVerbs } from './op-command.js'

/** `bmcvisor completion nodes`: what the scripts call for node names (not a shell). */
const NODES_WORD = 'nodes'

export const SHELLS = ['bash', 'zsh'] as const
export type Shell = (typeof SHELLS)[number]

/** The options every op verb takes (op-command.ts OPTIONS). */
const OP_FLAGS = ['--json', '--ndjson', '--timeout', '--help']

/** How long `completion nodes` waits for the server: a tab press must not hang. */
export const NODES_TIMEOUT_MS = 2000

interface Completions {
  /** Command name and its help line. */
  commands: { name: string; help: string }[]
  /** Fixed commands: the words after them (position 1), where node names go, and their options. */
  fixed: { name: string; words: readonly string[]; nodeAt: number | undefined; flags: readonly string[] }[]
  /** Op verbs: the words after RANGE (position 2) and the options. */
  verbs: { name: string; words: readonly string[]; flags: readonly string[] }[]
}

export function completions(): Completions {
  const verbs = cliVerbs()
  return {
    commands: [...FIXED_COMMANDS.map((c) => ({ name: c.name, help: c.help })), ...[...verbs].map(([verb, ops]) => ({ name: verb, help: ops[0]!.cli.help }))],
    fixed: FIXED_COMMANDS.filter((c) => c.words !== undefined || c.nodeAt !== undefined || c.flags !== undefined)
      .map((c) => ({ name: c.name, words: c.words ?? [], nodeAt: c.nodeAt, flags: c.flags ?? [] })),
    verbs: [...verbs].map(([verb, ops]) => ({
      name: verb,
      words: ops.flatMap((o) => o.cli.words),
      flags: [...OP_FLAGS, ...new Set(ops.flatMap((o) => Object.keys(o.cli.options ?? {}).map((n) => `--${n}`)))],
    })),
  }
}

/**
 * Bash: COMP_WORDS[0] is the command, so position p (1: the word after the
 * command) is COMP_CWORD p+1. Node names come from the server through the
 * same program (`completion nodes`); a RANGE being typed as `n1,n` completes
 * its last element.
 */
export function bashScript(c: Completions = completions()): string {
  const fixed = c.fixed.map((f) => {
    const parts = [
      ...(f.flags.length > 0 ? [`[[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${f.flags.join(' ')}" -- "$cur"))`] : []),
      ...(f.words.length > 0 ? [`[[ $COMP_CWORD -eq 2 ]]; then COMPREPLY=($(compgen -W "${f.words.join(' ')}" -- "$cur"))`] : []),
      ...(f.nodeAt !== undefined ? [`[[ $COMP_CWORD -eq ${f.nodeAt + 1} ]]; then _bmcvisor_nodes "$cur"`] : []),
    ]
    return `    ${f.name}) if ${parts.join('; elif ')}; fi ;;`
  })
  const verbs = c.verbs.map((v) =>
    `    ${v.name}) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${v.flags.join(' ')}" -- "$cur")); elif [[ $COMP_CWORD -eq 2 ]]; then _bmcvisor_nodes "$cur"; elif [[ $COMP_CWORD -eq 3 ]]; then COMPREPLY=($(compgen -W "${v.words.join(' ')}" -- "$cur")); fi ;;`)
  return `# bash completion for bmcvisor: source <(bmcvisor completion bash)
_bmcvisor_nodes() {
  local head="" last=$1 names
  if [[ $1 == *,* ]]; then head=\${1%,*},; last=\${1##*,}; fi
  names=$("\${COMP_WORDS[0]}" completion nodes 2>/dev/null) || return 0
  COMPREPLY=($(compgen -P "$head" -W "$names" -- "$last"))
}
_bmcvisor() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${c.commands.map((x) => x.name).join(' ')}" -- "$cur"))
    return 0
  fi
  case \${COMP_WORDS[1]} in
${[...fixed, ...verbs].join('\n')}
  esac
  return 0
}
complete -F _bmcvisor bmcvisor
`
}

/** A zsh _describe entry: colons escaped, single quotes closed and reopened. */
const describeEntry = (name: string, help: string): string => `'${`${name}:${help.replaceAll(':', '\\:')}`.replaceAll("'", "'\\''")}'`

/** Zsh: words[1] is the command, so position p is CURRENT p+2. */
export function zshScript(c: Completions = completions()): string {
  const fixed = c.fixed.map((f) => {
    const parts = [
      ...(f.flags.length > 0 ? [`[[ $PREFIX == -* ]]; then compadd -- ${f.flags.join(' ')}`] : []),
      ...(f.words.length > 0 ? [`(( CURRENT == 3 )); then compadd -- ${f.words.join(' ')}`] : []),
      ...(f.nodeAt !== undefined ? [`(( CURRENT == ${f.nodeAt + 2} )); then _bmcvisor_nodes`] : []),
    ]
    return `    ${f.name}) if ${parts.join('; elif ')}; fi ;;`
  })
  const verbs = c.verbs.map((v) =>
    `    ${v.name}) if [[ $PREFIX == -* ]]; then compadd -- ${v.flags.join(' ')}; elif (( CURRENT == 3 )); then _bmcvisor_nodes; elif (( CURRENT == 4 )); then compadd -- ${v.words.join(' ')}; fi ;;`)
  return `#compdef bmcvisor
# zsh completion for bmcvisor: autoload -U compinit && compinit; source <(bmcvisor completion zsh)
_bmcvisor_nodes() {
  local -a names
  names=(\${(f)"$($words[1] completion nodes 2>/dev/null)"})
  compset -P '*,'
  compadd -- $names
}
_bmcvisor() {
  local -a cmds
  cmds=(${c.commands.map((x) => describeEntry(x.name, x.help)).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
    return
  fi
  case $words[2] in
${[...fixed, ...verbs].join('\n')}
  esac
}
compdef _bmcvisor bmcvisor
`
}

/** Node names, then @groups, one per line, from the running server (BMCVISOR_URL, BMCVISOR_TOKEN). */
export async function nodeWords(client: ApiClient): Promise<string[]> {
  const { nodes } = await client.request<{ nodes: { name: string; groups?: string[] }[] }>('GET', '/nodes')
  const names = nodes.map((n) => n.name).sort(naturalCompare)
  const groups = [...new Set(nodes.flatMap((n) => n.groups ?? []))].sort(naturalCompare).map((g) => `@${g}`)
  return [...names, ...groups]
}

export async function completionCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }, client?: ApiClient): Promise<number> {
  const [shell, ...extra] = argv
  try {
    if (shell === '-h' || shell === '--help') {
      io.stdout.write(`usage: bmcvisor completion ${SHELLS.join('|')}\n  bash: source <(bmcvisor completion bash)\n  zsh:  autoload -U compinit && compinit; source <(bmcvisor completion zsh)\n  bmcvisor completion nodes: the node names and @groups the scripts offer (from the server of BMCVISOR_URL)\n`)
      return 0
    }
    if (shell === NODES_WORD && extra.length === 0) {
      const words = await nodeWords(client ?? clientFromEnv(io.env, { timeoutMs: NODES_TIMEOUT_MS }))
      io.stdout.write(words.map((w) => `${w}\n`).join(''))
      return 0
    }
    if (extra.length > 0 || !SHELLS.includes(shell as Shell)) {
      throw new ServiceError('VALIDATION_FAILED', `completion takes one shell: ${SHELLS.join(' or ')}`, { details: { field: 'shell' } })
    }
    const sh = shell as Shell
    switch (sh) {
      case 'bash':
        io.stdout.write(bashScript())
        return 0
      case 'zsh':
        io.stdout.write(zshScript())
        return 0
      default:
        return assertNever(sh)
    }
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

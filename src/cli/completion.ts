/**
 * `bmcvisor completion bash|zsh`: a completion script for the shell, derived
 * from the fixed commands (commands.ts) and the op registry's CLI verbs with
 * their action words, so a new op or command completes without an edit here.
 * A RANGE is not completed (that would need the server); after it, the
 * verb's words are, and `--` completes the verb's options.
 * Load it with `source <(bmcvisor completion bash)` (bash) or, after
 * `autoload -U compinit && compinit`, `source <(bmcvisor completion zsh)`.
 */
import { assertNever } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import { FIXED_COMMANDS } from './commands.js'
import { reportError } from './errors-out.js'
import { cliVerbs } from './op-command.js'

export const SHELLS = ['bash', 'zsh'] as const
export type Shell = (typeof SHELLS)[number]

/** The options every op verb takes (op-command.ts OPTIONS). */
const OP_FLAGS = ['--json', '--ndjson', '--timeout', '--help']

interface Completions {
  /** Command name and its help line. */
  commands: { name: string; help: string }[]
  /** Words after a fixed command (position 2). */
  sub: Map<string, readonly string[]>
  /** Words after an op verb's RANGE (position 3). */
  actions: Map<string, readonly string[]>
  /** Options of fixed commands, for a word starting with `-`. */
  flags: Map<string, readonly string[]>
}

export function completions(): Completions {
  const verbs = cliVerbs()
  return {
    commands: [...FIXED_COMMANDS.map((c) => ({ name: c.name, help: c.help })), ...[...verbs].map(([verb, ops]) => ({ name: verb, help: ops[0]!.cli.help }))],
    sub: new Map(FIXED_COMMANDS.filter((c) => c.words !== undefined).map((c) => [c.name, c.words!])),
    actions: new Map([...verbs].map(([verb, ops]) => [verb, ops.flatMap((o) => o.cli.words)])),
    flags: new Map(FIXED_COMMANDS.filter((c) => c.flags !== undefined).map((c) => [c.name, c.flags!])),
  }
}

const cases = (m: Map<string, readonly string[]>, body: (words: string) => string): string =>
  [...m].map(([name, words]) => `    ${name}) ${body(words.join(' '))} ;;`).join('\n')

export function bashScript(c: Completions = completions()): string {
  return `# bash completion for bmcvisor: source <(bmcvisor completion bash)
_bmcvisor() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${c.commands.map((x) => x.name).join(' ')}" -- "$cur"))
    return 0
  fi
  case \${COMP_WORDS[1]} in
${cases(c.sub, (w) => `[[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "${w}" -- "$cur"))`)}
${cases(c.actions, (w) => `if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${OP_FLAGS.join(' ')}" -- "$cur")); elif [[ $COMP_CWORD -eq 3 ]]; then COMPREPLY=($(compgen -W "${w}" -- "$cur")); fi`)}
${cases(c.flags, (w) => `[[ $cur == -* ]] && COMPREPLY=($(compgen -W "${w}" -- "$cur"))`)}
  esac
  return 0
}
complete -F _bmcvisor bmcvisor
`
}

/** A zsh _describe entry: colons escaped, single quotes closed and reopened. */
const describeEntry = (name: string, help: string): string => `'${`${name}:${help.replaceAll(':', '\\:')}`.replaceAll("'", "'\\''")}'`

export function zshScript(c: Completions = completions()): string {
  return `#compdef bmcvisor
# zsh completion for bmcvisor: autoload -U compinit && compinit; source <(bmcvisor completion zsh)
_bmcvisor() {
  local -a cmds
  cmds=(${c.commands.map((x) => describeEntry(x.name, x.help)).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
    return
  fi
  case $words[2] in
${cases(c.sub, (w) => `(( CURRENT == 3 )) && compadd -- ${w}`)}
${cases(c.actions, (w) => `if [[ $PREFIX == -* ]]; then compadd -- ${OP_FLAGS.join(' ')}; elif (( CURRENT == 4 )); then compadd -- ${w}; fi`)}
${cases(c.flags, (w) => `[[ $PREFIX == -* ]] && compadd -- ${w}`)}
  esac
}
compdef _bmcvisor bmcvisor
`
}

export function completionCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): number {
  const [shell, ...extra] = argv
  try {
    if (shell === '-h' || shell === '--help') {
      io.stdout.write(`usage: bmcvisor completion ${SHELLS.join('|')}\n  bash: source <(bmcvisor completion bash)\n  zsh:  autoload -U compinit && compinit; source <(bmcvisor completion zsh)\n`)
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

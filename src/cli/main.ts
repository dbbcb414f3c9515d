#!/usr/bin/env node
/**
 * The bmcvisor command: dispatches to subcommands. Only this file and
 * src/main.ts wire layers together.
 */
import { FIXED_COMMANDS } from './commands.js'

/** One help line per CLI verb of the op registry (cli/op-command.ts), after the fixed commands. */
async function opVerbs(): Promise<Map<string, { help: string }>> {
  const { cliVerbs } = await import('./op-command.js')
  return new Map([...cliVerbs()].map(([verb, ops]) => [verb, { help: ops[0]!.cli.help }]))
}

async function usage(): Promise<string> {
  const verbs = [...(await opVerbs())].map(([verb, v]) => `  ${verb.padEnd(10)} ${v.help}`)
  const fixed = FIXED_COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.help}`)
  return ['usage: bmcvisor <command> [options]', 'commands:', ...fixed, ...verbs].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    // Every subcommand is loaded on demand: `bmcvisor ipmi` should not pay for fastify and SQLite at start, nor `power` for the IPMI stack.
    case 'ipmi':
      return (await import('./ipmi.js')).ipmiCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin, ttyOut: process.stdout })
    case 'sim':
      return (await import('./sim.js')).simCommand(rest, { stdout: process.stdout, stderr: process.stderr })
    case 'completion':
      return (await import('./completion.js')).completionCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'serve':
      return (await import('./serve.js')).serveCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'config':
      return (await import('./config.js')).configCommand(rest, { stdout: process.stdout, stderr: process.stderr })
    case 'token':
      return (await import('./token.js')).tokenCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'node':
      return (await import('./node.js')).nodeCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'console-grep':
      return (await import('./console-grep.js')).consoleGrepCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'worker':
      return (await import('./worker.js')).workerCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'cluster':
      return (await import('./cluster.js')).clusterCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'console':
      return (await import('./console.js')).consoleCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(await usage() + '\n')
      return cmd === undefined ? 2 : 0
    default:
      // A verb of the op registry (power, ...), else unknown.
      if ((await opVerbs()).has(cmd)) return (await import('./op-command.js')).opCommand(cmd, rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
      process.stderr.write(`bmcvisor: VALIDATION_FAILED: unknown command ${cmd}\n${await usage()}\n`)
      return 2
  }
}

// Exit explicitly: an interactive command may leave stdin open, which would
// keep the process alive after its work is done (stdout/stderr are
// synchronous for files, pipes and terminals on Linux, so nothing is lost).
process.exit(await main(process.argv.slice(2)))

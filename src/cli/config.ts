/**
 * `bmcvisor config check FILE`: validates a serve configuration file the way
 * `serve --config FILE` reads it (exit 0, or 1 with one line naming the
 * file, line and key). `bmcvisor config example`: a file with every option
 * at its default, each with its help as a comment.
 */
import { loadConfigFile, renderConfig, resolveOptions } from '../config.js'
import { ServiceError } from '../errors.js'
import { reportError } from './errors-out.js'
import { SERVE_OPTIONS } from './serve-options.js'
import { checkServeValues } from './serve.js'

export const CONFIG_USAGE = `usage: bmcvisor config check FILE   validate a serve configuration file (exit 0 or 1)
       bmcvisor config example      print a configuration file with every option at its default`

export interface ConfigIo { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }

export function defaultValues(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(SERVE_OPTIONS).map(([flag, spec]) => [flag, spec.default]))
}

export function configCommand(argv: string[], io: ConfigIo): number {
  try {
    const [sub, file, ...rest] = argv
    switch (sub) {
      case 'check': {
        if (file === undefined || rest.length > 0) throw new ServiceError('VALIDATION_FAILED', 'config check takes one FILE', { details: { field: 'argv' } })
        const values = loadConfigFile(SERVE_OPTIONS, file)
        // Only the file: flags and environment of this shell are not the service's.
        const resolved = resolveOptions(SERVE_OPTIONS, { flags: {}, env: {}, file: values })
        checkServeValues(resolved.values, resolved.sources)
        io.stdout.write(`${file}: ok (${values.entries.size} of ${Object.keys(SERVE_OPTIONS).length} options set)\n`)
        return 0
      }
      case 'example':
        io.stdout.write(renderConfig(SERVE_OPTIONS, defaultValues()))
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(CONFIG_USAGE + '\n')
        return sub === undefined ? 2 : 0
      default:
        throw new ServiceError('VALIDATION_FAILED', `unknown config command ${sub}`, { details: { field: 'command' } })
    }
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

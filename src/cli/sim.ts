/**
 * `bmcvisor sim --count N [--base-port P] [--host 127.0.0.1]`: a fleet of
 * simulated BMCs (src/sim) on consecutive loopback ports, until SIGINT or
 * SIGTERM. Every BMC has user admin / password (administrator) and speaks
 * RMCP+ with cipher suites 3 and 17, so `bmcvisor ipmi` and ipmitool can
 * talk to it.
 */
import { parseArgs } from 'node:util'
import { startFleet } from '../sim/udp-server.js'
import { ServiceError, toWire } from '../errors.js'

export const SIM_USAGE = 'usage: bmcvisor sim --count N [--base-port P] [--host 127.0.0.1] [--json]'

export async function simCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, stopSignal?: AbortSignal): Promise<number> {
  try {
    const { values: o } = parseArgs({
      args: argv,
      options: { count: { type: 'string', default: '1' }, 'base-port': { type: 'string', default: '16230' }, host: { type: 'string', default: '127.0.0.1' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    })
    if (o.help === true) {
      io.stdout.write(SIM_USAGE + '\n')
      return 0
    }
    const count = Number(o.count)
    const basePort = Number(o['base-port'])
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new ServiceError('VALIDATION_FAILED', '--count must be an integer from 1 to 10000', { details: { field: 'count' } })
    if (!Number.isInteger(basePort) || basePort < 0 || basePort + count - 1 > 65535) throw new ServiceError('VALIDATION_FAILED', '--base-port must leave room for --count ports', { details: { field: 'base-port' } })
    // Simulated BMCs never leave this machine: loopback addresses only.
    if (!/^127\.\d+\.\d+\.\d+$/.test(o.host) && o.host !== '::1' && o.host !== 'localhost') {
      throw new ServiceError('VALIDATION_FAILED', '--host must be a loopback address', { details: { field: 'host' } })
    }
    const fleet = await startFleet(count, { host: o.host, port: basePort })
    const bmcs = fleet.servers.map((s, i) => ({ index: i, host: s.host, port: s.port, username: 'admin', password: 'password' }))
    if (o.json === true) io.stdout.write(JSON.stringify({ bmcs }) + '\n')
    else {
      const first = bmcs[0]!
      const last = bmcs[bmcs.length - 1]!
      io.stdout.write(`${count} simulated BMC(s) on ${first.host} ports ${first.port}-${last.port} (user admin, password password)\n`)
      io.stdout.write(`try: bmcvisor ipmi -H ${first.host} -p ${first.port} -U admin -P password mc info\n`)
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      stopSignal?.addEventListener('abort', stop, { once: true })
    })
    await fleet.close()
    return 0
  } catch (e) {
    const w = toWire(e)
    io.stderr.write(`bmcvisor: ${w.code === 'INTERNAL' && e instanceof Error ? `VALIDATION_FAILED: ${e.message}` : `${w.code}: ${w.message}`}\n`)
    return w.code === 'VALIDATION_FAILED' || w.code === 'INTERNAL' ? 2 : 1
  }
}

/**
 * `bmcvisor ipmi sdr | sensors | fru | sel`: the hardware-data subcommands,
 * kept apart from ipmi.ts's dispatch. One CLI run is one short-lived client,
 * so the SDR cache lives for this run only (`sel elist` and `fru` reuse the
 * walk they need). Output formatting is format-hardware.ts.
 */
import { listFru, readFru } from '../bmc/fru.js'
import type { CommandRunner } from '../bmc/runner.js'
import { SdrCache } from '../bmc/sdr.js'
import { clearSel, listSel, selInfo } from '../bmc/sel.js'
import { readSensors } from '../bmc/sensors.js'
import { ServiceError } from '../errors.js'

export const HARDWARE_USAGE = `  sdr [list|elist|records]
  sensors
  fru [ID]
  sel list | sel elist | sel info | sel clear`

function invalid(message: string, field: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, { details: { field } })
}

/** Runs one hardware subcommand; `cmd` is the positional words after the options. */
export async function hardwareCommand(c: CommandRunner, cmd: string[]): Promise<unknown> {
  const [a, b] = cmd
  const cache = new SdrCache()
  switch (a) {
    case 'sdr':
      if (b === undefined || b === 'list' || b === 'elist') return readSensors(c, { cache })
      if (b === 'records') return cache.read(c)
      throw invalid('sdr takes list, elist or records', 'command')
    case 'sensors':
      if (b !== undefined && b !== 'list') throw invalid('sensors takes no argument', 'command')
      return readSensors(c, { cache })
    case 'fru': {
      if (b === undefined) return listFru(c, { cache })
      const id = Number(b)
      if (!Number.isInteger(id) || id < 0 || id > 254) throw invalid('FRU ID must be an integer from 0 to 254', 'id')
      return readFru(c, id, id === 0 ? { name: 'Builtin FRU Device' } : {})
    }
    case 'sel':
      if (b === 'list' || b === undefined) return listSel(c)
      if (b === 'elist') return listSel(c, { sdr: (await cache.read(c)).records })
      if (b === 'info') return selInfo(c)
      if (b === 'clear') return clearSel(c)
      throw invalid('sel takes list, elist, info or clear', 'command')
  }
  throw invalid(`unknown command: ${cmd.join(' ')}`, 'command')
}

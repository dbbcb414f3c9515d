/**
 * System Event Log of one BMC (IPMI v2.0 §31: Get SEL Info, Reserve SEL,
 * Get SEL Entry, Clear SEL; records decoded and described by
 * ../ipmi/sel-record.ts).
 *
 * Owns the walk and the clear policy. Entries are read whole from record 0
 * until the next ID is FFFFh, with reservation 0 as ipmitool does; a C5h
 * (reservation cancelled) reserves and retries, and a chain that loops or
 * grows past the reported count by a wide margin is a protocol error, not an
 * endless loop. Clear reserves, starts the erase, then polls the erase
 * status until it completes or `timeoutMs` passes, with short growing pauses
 * between polls (a BMC may take seconds to erase flash).
 */
import { ClearSel, ClearSelAction } from '../ipmi/commands/clear-sel.js'
import { GetSelEntry, SEL_FIRST_ENTRY, SEL_LAST_ENTRY } from '../ipmi/commands/get-sel-entry.js'
import { GetSelInfo, type SelInfo } from '../ipmi/commands/get-sel-info.js'
import { ReserveSel } from '../ipmi/commands/reserve-sel.js'
import { CompletionCodeError, IpmiError } from '../ipmi/errors.js'
import { describeSelRecord, decodeSelRecord, selTime, SEL_RECORD_LENGTH, type SelEntry, type SelTime } from '../ipmi/sel-record.js'
import type { SdrRecord } from '../ipmi/sdr-records.js'
import type { CommandRunner } from './runner.js'

const CC_RESERVATION_CANCELLED = 0xc5

export interface SelInfoReport extends SelInfo {
  lastAddition: SelTime
  lastErase: SelTime
}

export async function selInfo(r: CommandRunner): Promise<SelInfoReport> {
  const i = await r.run(GetSelInfo, undefined)
  return { ...i, lastAddition: selTime(i.lastAdditionTimestamp), lastErase: selTime(i.lastEraseTimestamp) }
}

export interface SelListOptions {
  /** The BMC's SDR records: names sensors and adds readings to threshold events (`sel elist`). */
  sdr?: readonly SdrRecord[]
  /** Re-reservations allowed per entry after C5h (default 5). */
  reservationRetries?: number
  timeoutMs?: number
}

export interface SelList {
  info: SelInfoReport
  entries: SelEntry[]
}

/** Every SEL entry, oldest first, described as `ipmitool sel list` (or `elist` with `sdr`) does. */
export async function listSel(r: CommandRunner, opts: SelListOptions = {}): Promise<SelList> {
  const info = await selInfo(r)
  const reqOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }
  const entries: SelEntry[] = []
  // An empty SEL answers CBh to Get SEL Entry; don't ask.
  if (info.entries === 0) return { info, entries }
  const limit = info.entries + 256
  const seen = new Set<number>()
  let reservationId = 0
  for (let id = SEL_FIRST_ENTRY; id !== SEL_LAST_ENTRY; ) {
    if (seen.has(id) || seen.size > limit) {
      throw new IpmiError('BMC_PROTOCOL_ERROR', `SEL entry chain does not end (at entry ${id} after ${seen.size} entries)`, { details: { recordId: id } })
    }
    seen.add(id)
    let retries = opts.reservationRetries ?? 5
    for (;;) {
      try {
        const res = await r.run(GetSelEntry, { reservationId, recordId: id }, reqOpts)
        if (res.data.length < SEL_RECORD_LENGTH) {
          throw new IpmiError('BMC_PROTOCOL_ERROR', `SEL entry ${id} is ${res.data.length} bytes, expected ${SEL_RECORD_LENGTH}`, { details: { recordId: id } })
        }
        entries.push(describeSelRecord(decodeSelRecord(res.data), opts.sdr))
        id = res.nextRecordId
        break
      } catch (e) {
        if (!(e instanceof CompletionCodeError && e.cc === CC_RESERVATION_CANCELLED && retries-- > 0)) throw e
        reservationId = (await r.run(ReserveSel, undefined, reqOpts)).reservationId
      }
    }
  }
  return { info, entries }
}

export interface ClearSelOptions {
  /** Deadline for the erase to complete (default 10 s). */
  timeoutMs?: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Clears the SEL: Reserve SEL, Clear SEL "initiate erase" (AAh), then "get
 * status" until the erase completes. A reservation cancelled in between (C5h:
 * another client reserved) starts over, twice at most.
 */
export async function clearSel(r: CommandRunner, opts: ClearSelOptions = {}): Promise<{ cleared: true; entriesBefore: number }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000)
  const before = await r.run(GetSelInfo, undefined)
  for (let attempt = 0; ; attempt++) {
    try {
      const { reservationId } = await r.run(ReserveSel, undefined)
      let status = await r.run(ClearSel, { reservationId, action: ClearSelAction.InitiateErase })
      for (let pause = 5; !status.completed; pause = Math.min(500, pause * 2)) {
        if (Date.now() >= deadline) throw new IpmiError('BMC_BUSY', 'SEL erase did not complete in time', { retryable: true })
        await sleep(pause)
        status = await r.run(ClearSel, { reservationId, action: ClearSelAction.GetStatus })
      }
      return { cleared: true, entriesBefore: before.entries }
    } catch (e) {
      if (!(e instanceof CompletionCodeError && e.cc === CC_RESERVATION_CANCELLED && attempt < 2)) throw e
    }
  }
}

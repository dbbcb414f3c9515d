/**
 * SDR repository of one BMC: info, reservation, the record walk and a cache
 * (IPMI v2.0 §33: Get SDR Repository Info, Reserve SDR Repository, Get SDR).
 *
 * Owns: the walk policy. Each record is first asked for whole (offset 0,
 * FFh); when the BMC answers CAh (cannot return that many bytes) or sends a
 * short record, the rest comes in partial reads whose size halves on every
 * further CAh, and the BMC is remembered as "partial only". A partial read
 * starts at offset 0 with a whole chunk (header included); a BMC that
 * refuses a count past a short record's end is then read header-first (5
 * bytes, then the body), as ipmitool and pyghmi always do. C5h
 * (reservation lost: the repository changed or another client reserved)
 * reserves again and retries, a bounded number of times per record.
 * SdrCache: a per-BMC object the caller owns (no module state). It keeps the
 * decoded records and reuses them while Get SDR Repository Info reports the
 * same version, record count, free space and add/erase timestamps: the
 * timestamps move on every change on a conforming BMC, and the count and
 * free space catch BMCs (ipmi_sim) that leave the timestamps at 0.
 * Concurrent readers of one cache share one walk.
 */
import { GetSdrRepositoryInfo, type SdrRepositoryInfo } from '../ipmi/commands/get-sdr-repository-info.js'
import { ReserveSdrRepository } from '../ipmi/commands/reserve-sdr-repository.js'
import { GetSdr, SDR_HEADER_LENGTH, SDR_LAST_RECORD_ID, SDR_READ_ENTIRE_RECORD } from '../ipmi/commands/get-sdr.js'
import { CompletionCodeError, IpmiDecodeError, IpmiError } from '../ipmi/errors.js'
import { decodeSdrRecord, type SdrRecord } from '../ipmi/sdr-records.js'
import type { CommandRunner } from './runner.js'

const CC_RESERVATION_CANCELLED = 0xc5
/** CAh, and C7h/C8h which some BMCs send for "too many bytes asked". */
const CC_TOO_MANY_BYTES = new Set([0xca, 0xc7, 0xc8])

export interface SdrReadOptions {
  /** First partial-read size once whole reads were refused (default 32; halves on CAh). */
  partialChunk?: number
  /** Re-reservations allowed per record after C5h (default 5, as ipmitool). */
  reservationRetries?: number
  /** Passed to every request. */
  timeoutMs?: number
}

export interface SdrRepository {
  info: SdrRepositoryInfo
  records: SdrRecord[]
  /** Records that were read but could not be decoded; the walk goes on past them. */
  errors: { recordId: number; message: string }[]
  /** True when the records came from the cache without walking the repository. */
  cached: boolean
}

/** What the walk learned about a BMC; kept in the cache so later walks start right. */
interface ReadState {
  partialOnly: boolean
  /** Partial reads ask for the 5-byte header alone first (after a refused first chunk). */
  headerFirst: boolean
  chunk: number
  reservationId: number
}

function ccOf(e: unknown): number | undefined {
  return e instanceof CompletionCodeError ? e.cc : undefined
}

async function reserve(r: CommandRunner, opts: SdrReadOptions): Promise<number> {
  try {
    return (await r.run(ReserveSdrRepository, undefined, reqOpts(opts))).reservationId
  } catch (e) {
    // QUIRK(various): a BMC without reservations (C1h) still serves whole-record reads with ID 0.
    if (ccOf(e) !== undefined) return 0
    throw e
  }
}

function reqOpts(opts: SdrReadOptions): { timeoutMs?: number } {
  return opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }
}

/** Reads one record (header included); returns it and the next record ID. */
async function readRecord(r: CommandRunner, id: number, st: ReadState, opts: SdrReadOptions): Promise<{ bytes: Buffer; next: number }> {
  const parts: Buffer[] = []
  let have = 0
  let total: number | undefined
  let next: number | undefined
  let readId = id
  let retries = opts.reservationRetries ?? 5
  while (total === undefined || have < total) {
    // Whole record first; in partial mode the first chunk carries the header too, unless the BMC
    // refused a count past the record's end once (then the 5-byte header comes first, as ipmitool does).
    const firstPart = total === undefined && !st.headerFirst ? st.chunk : (total ?? SDR_HEADER_LENGTH) - have
    const count = have === 0 && !st.partialOnly ? SDR_READ_ENTIRE_RECORD : Math.min(st.chunk, firstPart)
    let res
    try {
      res = await r.run(GetSdr, { reservationId: st.reservationId, recordId: readId, offset: have, count }, reqOpts(opts))
    } catch (e) {
      const cc = ccOf(e)
      if (cc === CC_RESERVATION_CANCELLED && retries-- > 0) {
        st.reservationId = await reserve(r, opts)
        continue
      }
      // QUIRK(various): a first chunk longer than the record may be refused (C9h/CCh as well as CAh).
      if (cc !== undefined && (cc === 0xc9 || cc === 0xcc) && total === undefined && count > SDR_HEADER_LENGTH && !st.headerFirst && st.partialOnly) {
        st.headerFirst = true
        continue
      }
      if (cc !== undefined && CC_TOO_MANY_BYTES.has(cc)) {
        if (count === SDR_READ_ENTIRE_RECORD) {
          st.partialOnly = true
          continue
        }
        if (total === undefined && count > SDR_HEADER_LENGTH && !st.headerFirst) {
          st.headerFirst = true
          continue
        }
        if (count > 1) {
          st.chunk = Math.max(1, Math.floor(count / 2))
          continue
        }
      }
      throw e
    }
    const data = count === SDR_READ_ENTIRE_RECORD ? res.data : res.data.subarray(0, count)
    if (data.length === 0) throw new IpmiError('BMC_PROTOCOL_ERROR', `Get SDR for record ${id} at offset ${have} returned no data`, { details: { recordId: id, offset: have } })
    next ??= res.nextRecordId
    parts.push(data)
    have += data.length
    if (total === undefined && have >= SDR_HEADER_LENGTH) {
      const head = Buffer.concat(parts)
      total = SDR_HEADER_LENGTH + head[4]!
      // Asking for record 0 means "the first": later partial reads must name it.
      if (id === 0) readId = head.readUInt16LE(0)
    }
  }
  return { bytes: Buffer.concat(parts).subarray(0, total), next: next ?? SDR_LAST_RECORD_ID }
}

async function walk(r: CommandRunner, st: ReadState, opts: SdrReadOptions): Promise<Pick<SdrRepository, 'records' | 'errors'>> {
  st.reservationId = await reserve(r, opts)
  const records: SdrRecord[] = []
  const errors: SdrRepository['errors'] = []
  const seen = new Set<number>()
  for (let id = 0; id !== SDR_LAST_RECORD_ID; ) {
    if (seen.has(id)) throw new IpmiError('BMC_PROTOCOL_ERROR', `SDR record chain loops back to record ${id}`, { details: { recordId: id } })
    seen.add(id)
    const { bytes, next } = await readRecord(r, id, st, opts)
    try {
      records.push(decodeSdrRecord(bytes))
    } catch (e) {
      if (!(e instanceof IpmiDecodeError)) throw e
      errors.push({ recordId: bytes.length >= 2 ? bytes.readUInt16LE(0) : id, message: e.message })
    }
    id = next
  }
  return { records, errors }
}

function cacheKey(i: SdrRepositoryInfo): string {
  return [i.sdrVersion, i.recordCount, i.freeSpaceBytes, i.lastAdditionTimestamp, i.lastEraseTimestamp].join('/')
}

/** Reads the whole repository, without a cache. */
export async function readSdrRepository(r: CommandRunner, opts: SdrReadOptions = {}): Promise<SdrRepository> {
  return new SdrCache().read(r, opts)
}

export interface SdrCacheOptions {
  /** Re-walk after this long even if the repository looks unchanged (default: never). */
  maxAgeMs?: number
  now?: () => number
}

/** The decoded SDR repository of one BMC, refreshed when its change markers move. */
export class SdrCache {
  private entry: { key: string; repo: SdrRepository; at: number } | undefined
  private pending: Promise<SdrRepository> | undefined
  private readonly state: ReadState = { partialOnly: false, headerFirst: false, chunk: 32, reservationId: 0 }
  private readonly maxAgeMs: number
  private readonly now: () => number

  constructor(opts: SdrCacheOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? Infinity
    this.now = opts.now ?? Date.now
  }

  /** Drops the cached records; the next read walks the repository. */
  invalidate(): void {
    this.entry = undefined
  }

  /** The records last read, without asking the BMC (undefined before the first read). */
  peek(): SdrRepository | undefined {
    return this.entry?.repo
  }

  /** The repository: from the cache when Get SDR Repository Info shows no change, else walked again. */
  read(r: CommandRunner, opts: SdrReadOptions = {}): Promise<SdrRepository> {
    this.pending ??= this.refresh(r, opts).finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  private async refresh(r: CommandRunner, opts: SdrReadOptions): Promise<SdrRepository> {
    const info = await r.run(GetSdrRepositoryInfo, undefined, reqOpts(opts))
    const key = cacheKey(info)
    const e = this.entry
    if (e !== undefined && e.key === key && this.now() - e.at < this.maxAgeMs) return { ...e.repo, info, cached: true }
    this.entry = undefined
    if (opts.partialChunk !== undefined) this.state.chunk = opts.partialChunk
    const at = this.now()
    const { records, errors } = await walk(r, this.state, opts)
    const repo: SdrRepository = { info, records, errors, cached: false }
    // Changed while we walked (the key moved)? Serve what was read, but do not cache it.
    const after = await r.run(GetSdrRepositoryInfo, undefined, reqOpts(opts))
    if (cacheKey(after) === key) this.entry = { key, repo, at }
    return repo
  }
}

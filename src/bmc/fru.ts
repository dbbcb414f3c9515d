/**
 * FRU inventory of one BMC (IPMI v2.0 §34: Get FRU Inventory Area Info, Read
 * FRU Data; layout decoded by ../ipmi/fru-format.ts).
 *
 * Owns the read policy: only the bytes the areas need are read (header,
 * then each area by its length byte, then the multi-record chain), in
 * chunks of up to `chunkSize` with read-ahead. When the BMC says a chunk is
 * too big (C7h, C8h or CAh) the chunk halves and the read is retried, down
 * to 4 bytes (pyghmi gives up at 3). A count-0 answer ends the data there
 * (QUIRK(various): some BMCs report a larger area than they serve; ipmitool
 * also decodes what it got). FRU device busy (81h) is retried 3 times.
 * Word-access devices get word offsets and counts.
 * `listFru` follows `ipmitool fru print`: device 0 when Get Device ID
 * announces a FRU inventory device, then every logical FRU Device Locator
 * in the SDR that holds an IPMI FRU inventory.
 */
import { GetDeviceId } from '../ipmi/commands/get-device-id.js'
import { GetFruInventoryAreaInfo } from '../ipmi/commands/get-fru-inventory-area-info.js'
import { ReadFruData, fruDataBytes } from '../ipmi/commands/read-fru-data.js'
import { CompletionCodeError, IpmiDecodeError, IpmiError } from '../ipmi/errors.js'
import { decodeFruHeader, decodeFruInventory, FRU_HEADER_LENGTH, type FruInventory } from '../ipmi/fru-format.js'
import { BMC_SA } from '../ipmi/lan-message.js'
import type { CommandRunner } from './runner.js'
import { SdrCache, type SdrReadOptions } from './sdr.js'

const CC_TOO_BIG = new Set([0xc7, 0xc8, 0xca])
const CC_FRU_BUSY = 0x81
const MIN_CHUNK = 4

export interface FruReadOptions {
  /** Bytes per Read FRU Data at first (default 224, pyghmi's value; at most 255 units). */
  chunkSize?: number
  timeoutMs?: number
}

export interface FruDeviceInventory extends FruInventory {
  fruId: number
  /** "Builtin FRU Device" for device 0, else the locator record's name. */
  name: string
  sizeBytes: number
  accessByWords: boolean
  /** Bytes actually read (the FRU's data may be smaller than its reported size). */
  bytesRead: number
}

/** The FRU device's bytes as far as they were read; unread bytes stay 0 and are never decoded. */
class FruImage {
  readonly buf: Buffer
  private readonly have: Uint8Array
  size: number
  bytesRead = 0
  private chunk: number

  constructor(
    private readonly r: CommandRunner,
    private readonly fruId: number,
    sizeBytes: number,
    private readonly words: boolean,
    private readonly opts: FruReadOptions,
  ) {
    this.size = sizeBytes
    this.buf = Buffer.alloc(sizeBytes)
    this.have = new Uint8Array(sizeBytes)
    this.chunk = Math.max(MIN_CHUNK, Math.min(255, opts.chunkSize ?? 224))
  }

  /** Makes sure [off, off + len) has been read (as far as the device has data). */
  async ensure(off: number, len: number): Promise<void> {
    // this.size may shrink while we read (a count-0 answer), so re-check it every step.
    for (let i = off; i < Math.min(this.size, off + len); ) {
      if (this.have[i] === 1) {
        i++
        continue
      }
      i = await this.fetch(i)
    }
  }

  /** Reads one chunk at `at` (read-ahead up to the chunk size); returns the offset after it. */
  private async fetch(at: number): Promise<number> {
    let busy = 3
    const reqOpts = this.opts.timeoutMs === undefined ? {} : { timeoutMs: this.opts.timeoutMs }
    for (;;) {
      const start = this.words ? at & ~1 : at
      const bytes = Math.min(this.chunk, this.size - start)
      const count = this.words ? Math.max(1, bytes >> 1) : bytes
      try {
        const res = await this.r.run(ReadFruData, { fruId: this.fruId, offset: this.words ? start >> 1 : start, count }, reqOpts)
        const data = fruDataBytes(res, this.words).subarray(0, this.size - start)
        if (data.length === 0) {
          this.size = start // the device has no more data than this
          return this.size
        }
        data.copy(this.buf, start)
        this.have.fill(1, start, start + data.length)
        this.bytesRead += data.length
        return start + data.length
      } catch (e) {
        const cc = e instanceof CompletionCodeError ? e.cc : undefined
        if (cc !== undefined && CC_TOO_BIG.has(cc) && this.chunk > MIN_CHUNK) {
          this.chunk = Math.max(MIN_CHUNK, this.chunk >> 1)
          continue
        }
        if (cc === CC_FRU_BUSY && busy-- > 0) continue
        throw e
      }
    }
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.size)
  }
}

/** Reads and decodes one FRU device. A bad common header throws IPMI_DECODE_ERROR; bad areas are listed in `errors`. */
export async function readFru(r: CommandRunner, fruId = 0, opts: FruReadOptions & { name?: string } = {}): Promise<FruDeviceInventory> {
  const reqOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }
  const info = await r.run(GetFruInventoryAreaInfo, { fruId }, reqOpts)
  if (info.sizeBytes < FRU_HEADER_LENGTH) {
    throw new IpmiError('BMC_PROTOCOL_ERROR', `FRU device ${fruId} reports ${info.sizeBytes} bytes, too small for a FRU header`, { details: { fruId, sizeBytes: info.sizeBytes } })
  }
  const img = new FruImage(r, fruId, info.sizeBytes, info.accessByWords, opts)
  await img.ensure(0, FRU_HEADER_LENGTH)
  const header = decodeFruHeader(img.bytes())
  for (const off of [header.chassisOffset, header.boardOffset, header.productOffset]) {
    if (off < FRU_HEADER_LENGTH || off >= img.size) continue
    await img.ensure(off, 2)
    await img.ensure(off, 8 * (img.buf[off + 1] ?? 0))
  }
  // Multi-record chain: 5-byte header (b7 of byte 2 = end of list), then data (length in byte 3).
  for (let off = header.multiRecordOffset, n = 0; off >= FRU_HEADER_LENGTH && off < img.size && n < 64; n++) {
    await img.ensure(off, 5)
    const len = 5 + (img.buf[off + 2] ?? 0)
    await img.ensure(off, len)
    if (((img.buf[off + 1] ?? 0x80) & 0x80) !== 0) break
    off += len
  }
  const inventory = decodeFruInventory(img.bytes())
  return {
    fruId,
    name: opts.name ?? (fruId === 0 ? 'Builtin FRU Device' : `FRU Device ${fruId}`),
    sizeBytes: info.sizeBytes,
    accessByWords: info.accessByWords,
    bytesRead: img.bytesRead,
    ...inventory,
  }
}

export interface FruListEntry {
  fruId: number
  name: string
  inventory?: FruDeviceInventory
  /** Why this device could not be read (the others still are). */
  error?: { code: string; message: string }
}

export interface FruListOptions extends FruReadOptions, SdrReadOptions {
  cache?: SdrCache
}

/** Every FRU device `ipmitool fru print` shows: device 0, then logical FRU locators owned by the BMC. */
export async function listFru(r: CommandRunner, opts: FruListOptions = {}): Promise<FruListEntry[]> {
  const devices: { fruId: number; name: string }[] = []
  const dev = await r.run(GetDeviceId, undefined)
  // Additional device support b3: FRU inventory device (IPMI v2.0 Table 20-2).
  if ((dev.additionalDeviceSupport & 0x08) !== 0) devices.push({ fruId: 0, name: 'Builtin FRU Device' })
  const repo = await (opts.cache ?? new SdrCache()).read(r, opts)
  for (const rec of repo.records) {
    if (rec.kind !== 'fru-locator' || !rec.logical) continue
    // Device type 10h (FRU inventory) with modifier 00h/02h, or an EEPROM (08h-0Fh) holding a FRU inventory (02h).
    const inventory = rec.deviceType === 0x10 ? rec.deviceTypeModifier === 0x00 || rec.deviceTypeModifier === 0x02 : rec.deviceType >= 0x08 && rec.deviceType <= 0x0f && rec.deviceTypeModifier === 0x02
    if (!inventory || rec.deviceAccessAddress !== BMC_SA || rec.channel !== 0 || rec.accessLun !== 0) continue
    if (rec.fruDeviceId === 0) continue // the built-in device again
    devices.push({ fruId: rec.fruDeviceId, name: rec.name })
  }
  const out: FruListEntry[] = []
  for (const d of devices) {
    try {
      out.push({ ...d, inventory: await readFru(r, d.fruId, { ...opts, name: d.name }) })
    } catch (e) {
      if (!(e instanceof CompletionCodeError || e instanceof IpmiDecodeError || (e instanceof IpmiError && e.code === 'BMC_PROTOCOL_ERROR'))) throw e
      out.push({ ...d, error: { code: e.code, message: e.message } })
    }
  }
  return out
}

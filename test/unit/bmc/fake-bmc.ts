// A CommandRunner that answers the storage and sensor commands from tables,
// the way a BMC would (IPMI v2.0 §31, §33-35), with knobs for the behaviours
// the operations must survive: a small response buffer (CAh / C8h), lost
// reservations (C5h), a busy FRU device (81h), short FRU data, and raw
// answers. Responses go through decodeResponse like IpmiClient's, so
// completion codes become the same CompletionCodeError. No sockets, no timers.
import { decodeResponse, type IpmiCommand } from '../../../src/ipmi/command.js'
import type { CommandRunner } from '../../../src/bmc/runner.js'

export interface RawAnswer {
  cc: number
  data?: Buffer
}

export interface FakeBmcOptions {
  sdr?: Buffer[]
  /** Largest data a Get SDR / Read FRU Data response may carry (after cc), like a BMC's message buffer; default 255. */
  maxResponse?: number
  /** Completion code for a too-long answer: CAh (Get SDR, default) or C8h (ipmi_sim on Read FRU Data). */
  tooLongCc?: number
  sdrInfo?: { lastAdd?: number; lastErase?: number }
  sensors?: Map<number, RawAnswer>
  factors?: Map<string, RawAnswer>
  fru?: Map<number, { data: Buffer; size?: number; words?: boolean; busy?: number; shortAfter?: number }>
  sel?: Buffer[]
  /** Erase takes this many status polls. */
  eraseSteps?: number
  deviceSupport?: number
  /** Called before every command; return an answer to override the table (fault injection). */
  intercept?: (netFn: number, cmd: number, req: Buffer, call: number) => RawAnswer | undefined
}

export class FakeBmc implements CommandRunner {
  readonly calls: { netFn: number; cmd: number; req: Buffer }[] = []
  sdr: Buffer[]
  sel: Buffer[]
  sdrReservation = 0
  selReservation = 0
  sdrInfo: { lastAdd: number; lastErase: number }
  private erase = 0

  constructor(readonly opts: FakeBmcOptions = {}) {
    this.sdr = opts.sdr ?? []
    this.sel = opts.sel ?? []
    this.sdrInfo = { lastAdd: opts.sdrInfo?.lastAdd ?? 0, lastErase: opts.sdrInfo?.lastErase ?? 0 }
  }

  count(cmd: number, netFn = 0x0a): number {
    return this.calls.filter((c) => c.cmd === cmd && c.netFn === netFn).length
  }

  /** Another client reserves: our reservation is cancelled. */
  bumpSdrReservation(): void {
    this.sdrReservation++
  }

  async run<Req, Res>(command: IpmiCommand<Req, Res>, req: Req): Promise<Res> {
    const data = command.encode(req)
    this.calls.push({ netFn: command.netFn, cmd: command.cmd, req: data })
    await Promise.resolve()
    const a = this.opts.intercept?.(command.netFn, command.cmd, data, this.calls.length) ?? this.answer(command.netFn, command.cmd, data)
    const body = a.data ?? Buffer.alloc(0)
    const sized = command.netFn === 0x0a && (command.cmd === 0x23 || command.cmd === 0x11)
    if (sized && a.cc === 0 && body.length > (this.opts.maxResponse ?? 255)) return decodeResponse(command, this.opts.tooLongCc ?? 0xca, Buffer.alloc(0))
    return decodeResponse(command, a.cc, body)
  }

  private answer(netFn: number, cmd: number, q: Buffer): RawAnswer {
    const ok = (...parts: (Buffer | number[])[]): RawAnswer => ({ cc: 0, data: Buffer.concat(parts.map((p) => Buffer.from(p))) })
    const u16 = (v: number) => [v & 0xff, v >> 8]
    const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]
    if (netFn === 0x06 && cmd === 0x01) return ok([0x20, 0x81, 0x02, 0x15, 0x02, this.opts.deviceSupport ?? 0x9f, 0x4c, 0x1c, 0x00, 0x03, 0x02])
    if (netFn === 0x0a) {
      switch (cmd) {
        case 0x20: // Get SDR Repository Info
          return ok([0x51], u16(this.sdr.length), u16(0xfffe), u32(this.sdrInfo.lastAdd), u32(this.sdrInfo.lastErase), [0x02])
        case 0x22: // Reserve SDR Repository
          return ok(u16(++this.sdrReservation))
        case 0x23: { // Get SDR
          const res = q.readUInt16LE(0)
          const id = q.readUInt16LE(2)
          const [offset, count] = [q[4]!, q[5]!]
          const partial = offset !== 0 || count !== 0xff
          if (partial && res !== this.sdrReservation) return { cc: 0xc5 }
          const i = id === 0 ? 0 : this.sdr.findIndex((r) => r.readUInt16LE(0) === id)
          const rec = this.sdr[i]
          if (rec === undefined) return { cc: 0xcb }
          if (offset >= rec.length) return { cc: 0xc9 }
          const next = this.sdr[i + 1]?.readUInt16LE(0) ?? 0xffff
          return ok(u16(next), rec.subarray(offset, Math.min(rec.length, offset + count)))
        }
        case 0x10: { // Get FRU Inventory Area Info
          const f = this.opts.fru?.get(q[0]!)
          if (f === undefined) return { cc: 0xcb }
          return ok(u16(f.size ?? f.data.length), [f.words === true ? 1 : 0])
        }
        case 0x11: { // Read FRU Data
          const f = this.opts.fru?.get(q[0]!)
          if (f === undefined) return { cc: 0xcb }
          if ((f.busy ?? 0) > 0) {
            f.busy!--
            return { cc: 0x81 }
          }
          const unit = f.words === true ? 2 : 1
          const off = q.readUInt16LE(1) * unit
          const end = Math.min(off + q[3]! * unit, f.data.length, f.shortAfter ?? Infinity)
          const chunk = f.data.subarray(Math.min(off, end), end)
          return ok([chunk.length / unit], chunk)
        }
        case 0x40: // Get SEL Info
          return ok([0x51], u16(this.sel.length), u16(8000), u32(0), u32(0), [0x0a])
        case 0x42: // Reserve SEL
          return ok(u16(++this.selReservation))
        case 0x43: { // Get SEL Entry
          const id = q.readUInt16LE(2)
          const i = id === 0 ? 0 : this.sel.findIndex((r) => r.readUInt16LE(0) === id)
          const rec = this.sel[i]
          if (rec === undefined) return { cc: 0xcb }
          return ok(u16(this.sel[i + 1]?.readUInt16LE(0) ?? 0xffff), rec)
        }
        case 0x47: { // Clear SEL
          if (q.readUInt16LE(0) !== this.selReservation || q.subarray(2, 5).toString('latin1') !== 'CLR') return { cc: 0xc5 }
          if (q[5] === 0xaa) this.erase = this.opts.eraseSteps ?? 0
          else if (this.erase > 0) this.erase--
          if (this.erase === 0) this.sel = []
          return ok([this.erase === 0 ? 1 : 0])
        }
      }
    }
    if (netFn === 0x04 && cmd === 0x2d) return this.opts.sensors?.get(q[0]!) ?? { cc: 0xcb }
    if (netFn === 0x04 && cmd === 0x23) return this.opts.factors?.get(`${q[0]}/${q[1]}`) ?? { cc: 0xc1 }
    return { cc: 0xc1 }
  }
}

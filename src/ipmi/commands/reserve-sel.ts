/**
 * Reserve SEL: IPMI v2.0 §31.4, Table 31-4. The reservation Clear SEL and
 * partial Get SEL Entry reads need; cancelled (C5h on use) when the SEL is
 * cleared or another client reserves. Pure codec.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import type { Reservation } from './reserve-sdr-repository.js'

export const ReserveSel: IpmiCommand<void, Reservation> = {
  name: 'Reserve SEL',
  netFn: NetFn.Storage,
  cmd: 0x42,
  /** 81h: the SEL cannot be reserved while it is being erased (Table 31-4). */
  ccMeanings: { 0x81: 'cannot execute command, SEL erase in progress' },
  encode: () => Buffer.alloc(0),
  decode(data) {
    return { reservationId: new Reader('Reserve SEL response', data).u16() }
  },
}

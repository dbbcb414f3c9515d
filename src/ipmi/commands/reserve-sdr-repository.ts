/**
 * Reserve SDR Repository: IPMI v2.0 §33.11, Table 33-5. A reservation ID that
 * partial Get SDR reads must carry; the BMC cancels it when the repository
 * changes or another client reserves, and then answers C5h (the SDR walk in
 * src/bmc/sdr.ts reserves again and retries). Pure codec.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

export interface Reservation {
  /** 16-bit reservation ID, LS byte first; 0 is never a valid reservation. */
  reservationId: number
}

export const ReserveSdrRepository: IpmiCommand<void, Reservation> = {
  name: 'Reserve SDR Repository',
  netFn: NetFn.Storage,
  cmd: 0x22,
  encode: () => Buffer.alloc(0),
  decode(data) {
    return { reservationId: new Reader('Reserve SDR Repository response', data).u16() }
  },
}

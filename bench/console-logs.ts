// Console logs for the search benches, in console-log.ts's layout: per node
// the current `<node>.log` with its journal `<node>.jnl` and one rotated
// pair gzipped (`<node>.log.<stamp>.gz`, `<node>.jnl.<stamp>.gz`),
// boot-log-like lines, a journal data record per 4 KiB, and optionally one
// marker line at the end of the current log.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const RECORD_BYTES = 4096
export const STAMP = '20260301T000000.000Z'
const BASE = Date.parse('2026-03-01T00:00:00.000Z')
const DAY_MS = 86_400_000
const LINES = [
  '[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci_hcd',
  '[   13.000001] EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)',
  '[   14.250000] systemd[1]: Started Journal Service.',
  '[   15.500000] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx',
  'node login: root',
  'Last login: Sun Mar  1 00:00:00 on ttyS1',
]

function logText(seed: number, bytes: number, marker: string | undefined): string {
  const out: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const l = LINES[(i + seed) % LINES.length]!
    out.push(l)
    size += l.length + 1
  }
  if (marker !== undefined) out.push(`[  999.000000] ${marker}: Attempted to kill init! exitcode=0x00000009`)
  return out.join('\n') + '\n'
}

function journal(len: number, startMs: number): string {
  const recs: string[] = []
  for (let off = 0, i = 0; off < len; off += RECORD_BYTES, i++) {
    recs.push(JSON.stringify({ time: new Date(startMs + i * 1000).toISOString(), type: 'data', offset: off, length: Math.min(RECORD_BYTES, len - off) }))
  }
  return recs.join('\n') + '\n'
}

/** Writes one node's current and rotated logs of `bytes` each (uncompressed); returns their sizes. */
export function writeNodeLogs(dir: string, node: string, seed: number, bytes: number, marker?: string): { plain: number; rotated: number } {
  const rotated = Buffer.from(logText(seed, bytes, undefined))
  const current = Buffer.from(logText(seed + 1, bytes, marker))
  writeFileSync(join(dir, `${node}.log.${STAMP}.gz`), gzipSync(rotated))
  writeFileSync(join(dir, `${node}.jnl.${STAMP}.gz`), gzipSync(journal(rotated.length, BASE)))
  writeFileSync(join(dir, `${node}.log`), current)
  writeFileSync(join(dir, `${node}.jnl`), journal(current.length, BASE + DAY_MS))
  return { plain: current.length, rotated: rotated.length }
}

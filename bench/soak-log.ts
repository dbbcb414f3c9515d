// The soak's console text: each simulated host prints numbered lines
// "HOST gGEN SEQ CHECK\r\n" (GEN counts restarts of the simulator process that
// plays the host, SEQ counts from 1, CHECK is a hash of the three), so the
// console log of a node can be checked byte for byte: every line whole and
// from this node's own host, in order, and where lines are missing.

const LINE = /^(\S+) g(\d+) (\d+) ([0-9a-f]{8})$/

function check(host: string, gen: number, seq: number): string {
  let h = 0x811c9dc5
  for (const c of `${host}/${gen}/${seq}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

export function soakLine(host: string, gen: number, seq: number): string {
  return `${host} g${gen} ${seq} ${check(host, gen, seq)}\r\n`
}

/** The boot log of one host for one generation: `lines` numbered lines (the host starts over after the last). */
export function soakBootLog(host: string, gen: number, lines: number): string {
  const out: string[] = []
  for (let seq = 1; seq <= lines; seq++) out.push(soakLine(host, gen, seq))
  return out.join('')
}

export interface LogVerdict {
  lines: number
  bytes: number
  /** Lines missing inside one generation (SEQ jumped forward). */
  missingLines: number
  gaps: number
  /** Lines out of order: SEQ not above the previous one of the same generation, or GEN going back. */
  disorder: number
  /** Lines naming another host, or whose CHECK does not match: bytes from the wrong BMC or corrupted. */
  foreign: number
  corrupt: number
  /** Torn lines: the partial last line of a generation that died, followed by a new generation or a gap. */
  torn: number
  /** Torn lines where the stream went on as if nothing happened: bytes lost or mixed in the middle. */
  tornInside: number
}

/** Checks a console log (its raw bytes) against the host that printed it. */
export function verifySoakLog(host: string, text: string): LogVerdict {
  const v: LogVerdict = { lines: 0, bytes: Buffer.byteLength(text, 'latin1'), missingLines: 0, gaps: 0, disorder: 0, foreign: 0, corrupt: 0, torn: 0, tornInside: 0 }
  const parts = text.split('\r\n')
  parts.pop() // after the last CR LF: a partial line still on its way, or ''
  let gen = -1
  let seq = 0
  let tornPending = false
  for (const raw of parts) {
    const m = LINE.exec(raw)
    if (m === null) {
      // A line cut where a generation died, glued to the first line of the next: the tail is checked too.
      v.torn++
      tornPending = true
      const tail = /(\S+) g(\d+) (\d+) ([0-9a-f]{8})$/.exec(raw)
      if (tail !== null && tail[1] === host && Number(tail[2]) > gen) {
        gen = Number(tail[2])
        seq = Number(tail[3])
        tornPending = false
      }
      continue
    }
    v.lines++
    const [, h, g, s, c] = m
    const lg = Number(g)
    const ls = Number(s)
    if (h !== host) {
      v.foreign++
      continue
    }
    if (check(h, lg, ls) !== c) {
      v.corrupt++
      continue
    }
    if (lg < gen) v.disorder++
    else if (lg > gen) {
      // A generation's first lines go out as soon as its SOL is active: any before the first seen are lost.
      if (ls > 1) {
        v.gaps++
        v.missingLines += ls - 1
      }
      gen = lg
      seq = ls
      tornPending = false
    } else if (ls === seq + 1) {
      if (tornPending) v.tornInside++
      seq = ls
      tornPending = false
    } else if (ls === 1) {
      // The host printed its whole log and started over.
      seq = 1
      tornPending = false
    } else if (ls > seq + 1) {
      v.gaps++
      v.missingLines += ls - seq - 1
      seq = ls
      tornPending = false
    } else v.disorder++
  }
  return v
}

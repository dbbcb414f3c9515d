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
  /** Lines missing inside one generation (SEQ jumped forward), or at its start. */
  missingLines: number
  gaps: number
  /** Whole lines out of order: SEQ not above the previous one of the same generation, or GEN going back. */
  disorder: number
  /** Whole, genuine lines (CHECK right) of another host: bytes from the wrong BMC. */
  foreign: number
  /**
   * Broken lines: a line's head glued to a later line's tail, because bytes between them never
   * arrived (the partial last line of a generation that died, or bytes lost in the middle).
   */
  torn: number
  /** Broken lines after which the stream went on with the next SEQ: bytes lost without a missing line (must be 0). */
  tornInside: number
}

type Whole = { host: string; gen: number; seq: number }

/** A whole line as the host printed it, or undefined. */
function whole(raw: string, anchored: boolean): Whole | undefined {
  const m = (anchored ? LINE : TAIL).exec(raw)
  if (m === null) return undefined
  const [, host = '', g, s, c] = m
  const w = { host, gen: Number(g), seq: Number(s) }
  return check(w.host, w.gen, w.seq) === c ? w : undefined
}

const TAIL = /(sim-\d+) g(\d+) (\d+) ([0-9a-f]{8})$/

/** Checks a console log (its raw bytes) against the host that printed it. */
export function verifySoakLog(host: string, text: string): LogVerdict {
  const v: LogVerdict = { lines: 0, bytes: Buffer.byteLength(text, 'latin1'), missingLines: 0, gaps: 0, disorder: 0, foreign: 0, torn: 0, tornInside: 0 }
  const parts = text.split('\r\n')
  parts.pop() // after the last CR LF: a partial line still on its way, or ''
  let gen = -1
  let seq = 0
  let tornPending = false
  const advance = (w: Whole) => {
    if (w.gen < gen) v.disorder++
    else if (w.gen > gen) {
      // A generation's first lines go out as soon as its SOL is active: any before the first seen are lost.
      if (w.seq > 1) {
        v.gaps++
        v.missingLines += w.seq - 1
      }
      gen = w.gen
      seq = w.seq
    } else if (w.seq === seq + 1) {
      if (tornPending) v.tornInside++
      seq = w.seq
    } else if (w.seq === 1) {
      // The host printed its whole log and started over.
      seq = 1
    } else if (w.seq > seq + 1) {
      v.gaps++
      v.missingLines += w.seq - seq - 1
      seq = w.seq
    } else v.disorder++
    tornPending = false
  }
  for (const raw of parts) {
    const w = whole(raw, true)
    if (w === undefined) {
      v.torn++
      tornPending = true
      // The tail of a broken line may be a whole line of this host (the first of a new generation).
      const tail = whole(raw, false)
      if (tail !== undefined && tail.host === host) {
        // Glued to its own head, the tail's SEQ shows whether any line went missing.
        tornPending = tail.gen === gen && tail.seq === seq + 1
        advance(tail)
      }
      continue
    }
    v.lines++
    if (w.host !== host) {
      v.foreign++
      continue
    }
    advance(w)
  }
  return v
}

/**
 * Scanning one console log file for a pattern (the work of one search task,
 * run in a thread of the search pool: search-worker.ts). A log is read in
 * chunks (gunzipped on the way for `.gz` files), cut into lines at `\n`, and
 * every line the pattern matches comes back with its number, its time and
 * its context. The time of a line is the time of the journal's `data` record
 * that holds the line's first byte (console-log.ts writes one per burst of
 * output), so it is as fine as the journal: within a second of arrival.
 *
 * Line semantics are grep's: a pattern is tried on each line alone (`^` and
 * `$` are the line's ends), one result per line. A trailing `\r` is dropped.
 * A line longer than MAX_LINE_BYTES is cut there and goes on as a new line.
 * With since/until, a line whose time is unknown (no journal record covers
 * it) is left out; a file whose journal lies wholly outside the window is
 * not read at all, and a file is read no further than the first line past
 * `until` (journal times only grow).
 *
 * Hazards: the pattern runs on the whole chunk first (one regex pass per
 * chunk, not per line) and only candidate lines are tried alone, so a chunk
 * without a match costs one decode, one regex pass and one newline count.
 */
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { pipeline } from 'node:stream'
import { createGunzip, gunzipSync } from 'node:zlib'
import { ServiceError } from '../errors.js'

/** Read size of a log file. */
const READ_CHUNK_BYTES = 1024 * 1024
/** A "line" longer than this (binary garbage, a host that never prints a newline) is cut. */
export const MAX_LINE_BYTES = 64 * 1024
/** Context lines before and after a match, at most. */
export const MAX_CONTEXT_LINES = 20
/** Pattern flags a search may ask for: i (case-insensitive), s (dot matches all), u (unicode). */
export const PATTERN_FLAGS = ['i', 's', 'u'] as const
/** Longest pattern accepted. */
export const MAX_PATTERN_CHARS = 1024
/** A `.gz` up to this size is read and inflated in one go (bounded by INFLATE_AT_ONCE_MAX_BYTES), a larger one streamed. */
const INFLATE_AT_ONCE_GZ_BYTES = 4 * 1024 * 1024
const INFLATE_AT_ONCE_MAX_BYTES = 64 * 1024 * 1024
const NL = 0x0a
const CR = '\r'
const GZ = '.gz'

export interface ScanTask {
  /** The log file (`.gz`: read through gunzip). */
  log: string
  /** Its journal (`.gz` likewise); null: no times. */
  journal: string | null
  pattern: string
  flags: string
  sinceMs: number | null
  untilMs: number | null
  context: number
  /** Stop after this many matches (the result says truncated when there were more). */
  limit: number
}

export interface ScanMatch {
  /** 1-based line number within the file. */
  line: number
  /** ISO time of the line's first byte, null when no journal record covers it. */
  time: string | null
  text: string
  before: string[]
  after: string[]
}

export interface ScanResult {
  matches: ScanMatch[]
  /** Bytes of the log read (uncompressed). */
  bytes: number
  /** More matches were there than `limit`. */
  truncated: boolean
  /** The journal showed the file lies outside since/until: not read. */
  skipped: boolean
}

/** The pattern as the scanner runs it: one global form for the chunk pass, one for a line alone. */
export interface CompiledPattern {
  chunk: RegExp
  line: RegExp
}

/** VALIDATION_FAILED naming `field` for a pattern JavaScript cannot compile, flags we do not take, or one too long. */
export function compilePattern(pattern: string, flags = '', field = 'grep'): CompiledPattern {
  const bad = (message: string) => new ServiceError('VALIDATION_FAILED', message, { details: { field } })
  if (pattern.length === 0) throw bad('the pattern is empty')
  if (pattern.length > MAX_PATTERN_CHARS) throw bad(`the pattern is longer than ${MAX_PATTERN_CHARS} characters`)
  for (const f of flags) if (!(PATTERN_FLAGS as readonly string[]).includes(f)) throw bad(`unknown pattern flag ${JSON.stringify(f)}; one of ${PATTERN_FLAGS.join(', ')}`)
  try {
    return { chunk: new RegExp(pattern, `${flags}gm`), line: new RegExp(pattern, flags) }
  } catch (e) {
    throw bad(`invalid regular expression: ${(e as Error).message}`)
  }
}

/** A journal's `data` records, by log offset: where each burst of bytes starts and when it arrived. */
export class JournalIndex {
  private constructor(private readonly offsets: Float64Array, private readonly times: Float64Array) {}

  static readonly empty = new JournalIndex(new Float64Array(0), new Float64Array(0))

  /** From the journal's text (JSON lines; lines that do not parse, and events, are skipped). */
  static parse(text: string): JournalIndex {
    const offsets: number[] = []
    const times: number[] = []
    for (const line of text.split('\n')) {
      if (!line.includes('"data"')) continue
      let r: { type?: unknown; time?: unknown; offset?: unknown }
      try {
        r = JSON.parse(line) as typeof r
      } catch {
        continue
      }
      if (r.type !== 'data' || typeof r.offset !== 'number' || typeof r.time !== 'string') continue
      const t = Date.parse(r.time)
      if (Number.isNaN(t)) continue
      // Offsets only grow within one file; a record that goes back (a truncated and rewritten log) starts over.
      while (offsets.length > 0 && offsets[offsets.length - 1]! > r.offset) {
        offsets.pop()
        times.pop()
      }
      offsets.push(r.offset)
      times.push(t)
    }
    return new JournalIndex(Float64Array.from(offsets), Float64Array.from(times))
  }

  get size(): number {
    return this.offsets.length
  }

  get first(): number | null {
    return this.times.length === 0 ? null : this.times[0]!
  }

  get last(): number | null {
    return this.times.length === 0 ? null : this.times[this.times.length - 1]!
  }

  /** Time (ms) of the record holding byte `offset`: the last record that starts at or before it; null before the first. */
  timeAt(offset: number): number | null {
    let lo = 0
    let hi = this.offsets.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.offsets[mid]! <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found < 0 ? null : this.times[found]!
  }
}

/** Read synchronously: the scan runs in a thread of its own, where a blocking read costs nothing and saves a thread-pool round trip per call (most logs are small files). */
export async function readJournal(path: string): Promise<JournalIndex> {
  let raw: Buffer
  try {
    raw = readFileSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return JournalIndex.empty
    throw e
  }
  return JournalIndex.parse((path.endsWith(GZ) ? gunzipSync(raw) : raw).toString('utf8'))
}

interface Pending {
  match: ScanMatch
  want: number
}

/**
 * The scanner's core, without files: push() the log's bytes in chunks of
 * any size, then end(). Matches are kept in `matches` (at most `limit`).
 */
export class LineScanner {
  readonly matches: ScanMatch[] = []
  truncated = false
  /** No more input is wanted: the limit is reached, or a line is past `until`. */
  done = false
  private carry: Buffer = Buffer.alloc(0)
  /** Byte offset in the log of carry's first byte. */
  private base = 0
  /** Lines before the current chunk. */
  private lines = 0
  /** The last `context` lines before the current chunk. */
  private tail: string[] = []
  private pending: Pending[] = []

  constructor(
    private readonly pattern: CompiledPattern,
    private readonly journal: JournalIndex,
    private readonly o: { context: number; limit: number; sinceMs: number | null; untilMs: number | null },
  ) {}

  push(data: Buffer): void {
    if (this.done) return
    let buf = this.carry.length === 0 ? data : Buffer.concat([this.carry, data])
    // Whole lines only; a line that grows past the cap is cut (never inside a UTF-8 sequence).
    let cut = buf.lastIndexOf(NL) + 1
    while (cut === 0 && buf.length >= MAX_LINE_BYTES) {
      cut = utf8Boundary(buf, MAX_LINE_BYTES)
      this.chunk(buf.subarray(0, cut), true)
      if (this.done) return
      buf = buf.subarray(cut)
      cut = buf.lastIndexOf(NL) + 1
    }
    if (cut > 0) this.chunk(buf.subarray(0, cut), false)
    this.carry = Buffer.from(buf.subarray(cut))
  }

  end(): void {
    if (!this.done && this.carry.length > 0) this.chunk(this.carry, true)
    this.carry = Buffer.alloc(0)
    this.pending = []
    this.done = true
  }

  /** Whole lines (`unterminated`: the last one has no `\n`, it was cut or the file ends). */
  private chunk(buf: Buffer, unterminated: boolean): void {
    const text = buf.toString('utf8')
    // Where the lines end: the final `\n` of a terminated chunk is not the start of another line.
    const end = unterminated ? text.length : text.length - 1
    this.pending = this.pending.filter((p) => feed(p, text, 0))
    if (this.o.untilMs !== null) {
      const t = this.journal.timeAt(this.base)
      if (t !== null && t > this.o.untilMs) return this.stop()
    }
    const byteOffset = byteOffsets(buf, text)
    const re = this.pattern.chunk
    re.lastIndex = 0
    let lineNo = this.lines
    let counted = 0
    for (;;) {
      const m = re.exec(text)
      if (m === null || m.index > end) break
      const start = lineStart(text, m.index)
      let stop = text.indexOf('\n', m.index)
      if (stop < 0) stop = text.length
      lineNo += countNewlines(text, counted, start)
      counted = start
      re.lastIndex = stop + 1
      const line = stripCr(text.slice(start, stop))
      if (!this.pattern.line.test(line)) continue
      const t = this.journal.timeAt(this.base + byteOffset(start))
      if (this.o.sinceMs !== null || this.o.untilMs !== null) {
        if (t === null || (this.o.sinceMs !== null && t < this.o.sinceMs)) continue
        if (this.o.untilMs !== null && t > this.o.untilMs) return this.stop()
      }
      if (this.matches.length === this.o.limit) {
        this.truncated = true
        return this.stop()
      }
      const match: ScanMatch = { line: lineNo + 1, time: t === null ? null : new Date(t).toISOString(), text: line, before: this.before(text, start), after: [] }
      this.matches.push(match)
      const p = { match, want: this.o.context }
      if (feed(p, text, stop + 1)) this.pending.push(p)
    }
    this.lines = lineNo + countNewlines(text, counted, text.length) + (unterminated ? 1 : 0)
    this.keepTail(text, end)
    this.base += buf.length
  }

  private stop(): void {
    this.done = true
    this.pending = []
  }

  /** The `context` lines before the one starting at `start`: from this chunk, then from the previous ones. */
  private before(text: string, start: number): string[] {
    const n = this.o.context
    const out: string[] = []
    for (let e = start - 1; out.length < n && e >= 0;) {
      const s = lineStart(text, e)
      out.unshift(stripCr(text.slice(s, e)))
      e = s - 1
    }
    if (out.length < n) out.unshift(...this.tail.slice(Math.max(0, this.tail.length - (n - out.length))))
    return out
  }

  /** Keeps the chunk's last `context` lines for the next chunk's first matches. */
  private keepTail(text: string, end: number): void {
    const n = this.o.context
    if (n === 0 || text.length === 0) return
    const lines: string[] = []
    for (let e = end; lines.length < n && e >= 0;) {
      const s = lineStart(text, e)
      lines.unshift(stripCr(text.slice(s, e)))
      e = s - 1
    }
    this.tail = [...this.tail, ...lines].slice(-n)
  }
}

/** Gives a waiting match its `after` lines from `text`, starting at the line that begins at `from`; true while it wants more. */
function feed(p: Pending, text: string, from: number): boolean {
  for (let s = from; p.want > 0 && s < text.length;) {
    let e = text.indexOf('\n', s)
    if (e < 0) e = text.length
    p.match.after.push(stripCr(text.slice(s, e)))
    p.want--
    s = e + 1
  }
  return p.want > 0
}

/** Start of the line holding character `i`. */
function lineStart(text: string, i: number): number {
  return i === 0 ? 0 : text.lastIndexOf('\n', i - 1) + 1
}

/** Character index to byte offset within the chunk; ascending calls only (one pass over the text in all). */
function byteOffsets(buf: Buffer, text: string): (charIndex: number) => number {
  if (text.length === buf.length) return (i) => i
  let chars = 0
  let bytes = 0
  return (i) => {
    bytes += Buffer.byteLength(text.slice(chars, i))
    chars = i
    return bytes
  }
}

/** Scans one file as `task` says; the log missing (compressed or pruned meanwhile) is an empty result unless its `.gz` is there. */
export async function scanFile(task: ScanTask, onBytes?: (bytes: number) => void): Promise<ScanResult> {
  const pattern = compilePattern(task.pattern, task.flags)
  const journal = task.journal === null ? JournalIndex.empty : await readJournal(task.journal).catch(async (e: unknown) => {
    if (task.journal !== null && !task.journal.endsWith(GZ)) return readJournal(task.journal + GZ)
    throw e
  })
  const result: ScanResult = { matches: [], bytes: 0, truncated: false, skipped: false }
  const first = journal.first
  const last = journal.last
  if ((task.sinceMs !== null && last !== null && last < task.sinceMs) || (task.untilMs !== null && first !== null && first > task.untilMs)) {
    return { ...result, skipped: true }
  }
  if ((task.sinceMs !== null || task.untilMs !== null) && journal.size === 0) return { ...result, skipped: true }
  const scanner = new LineScanner(pattern, journal, task)
  for await (const chunk of await openLog(task.log)) {
    const b = chunk as Buffer
    result.bytes += b.length
    onBytes?.(b.length)
    scanner.push(b)
    if (scanner.done) break
  }
  scanner.end()
  return { ...result, matches: scanner.matches, truncated: scanner.truncated }
}

/**
 * The log's bytes in chunks. A plain file and a small `.gz` are read
 * synchronously (this runs in a search thread: see readJournal), a large
 * `.gz`, or one that inflates past INFLATE_AT_ONCE_MAX_BYTES, is streamed
 * through gunzip. Chunks of a plain file share one buffer: the scanner copies
 * what it keeps.
 */
async function openLog(path: string): Promise<AsyncIterable<unknown> | Iterable<unknown>> {
  const tryOpen = (p: string): Promise<AsyncIterable<unknown> | Iterable<unknown>> => {
    const fd = openSync(p, 'r')
    if (!p.endsWith(GZ)) return Promise.resolve(readChunks(fd))
    try {
      if (fstatSync(fd).size <= INFLATE_AT_ONCE_GZ_BYTES) {
        const all = gunzipSync(readFileSync(fd), { maxOutputLength: INFLATE_AT_ONCE_MAX_BYTES })
        return Promise.resolve(slices(all))
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
        closeSync(fd)
        throw e
      }
    }
    const s = createReadStream(p, { fd, start: 0, highWaterMark: READ_CHUNK_BYTES })
    return Promise.resolve(pipeline(s, createGunzip({ chunkSize: READ_CHUNK_BYTES }), () => undefined))
  }
  try {
    return await tryOpen(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    // Compressed since the file was listed (console-log.ts renames the .gz into place before removing the original).
    if (!path.endsWith(GZ)) {
      try {
        return await tryOpen(path + GZ)
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') throw e2
      }
    }
    return []
  }
}

function* readChunks(fd: number): Generator<Buffer> {
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) return
      yield buf.subarray(0, n)
    }
  } finally {
    closeSync(fd)
  }
}

function* slices(all: Buffer): Generator<Buffer> {
  for (let i = 0; i < all.length; i += READ_CHUNK_BYTES) yield all.subarray(i, i + READ_CHUNK_BYTES)
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++
  return n
}

function stripCr(line: string): string {
  return line.endsWith(CR) ? line.slice(0, -1) : line
}

/** The largest cut at or below `at` that does not split a UTF-8 sequence (continuation bytes are 10xxxxxx). */
function utf8Boundary(buf: Buffer, at: number): number {
  let i = at
  while (i > at - 4 && i > 0 && (buf[i]! & 0xc0) === 0x80) i--
  return i > 0 ? i : at
}

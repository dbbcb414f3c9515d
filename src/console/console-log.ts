/**
 * The console log of one node: `consoles/<node>.log` holds the raw bytes,
 * `consoles/<node>.jnl` beside it one JSON object per line with a timestamp:
 * where the bytes that arrived at that time lie in the log (`data`, offset
 * and length) and the events (connect, disconnect with reason, attach,
 * detach, takeover, break, open).
 *
 * Owns its two files, opened on demand and closed after idleCloseMs (a fleet
 * of thousands of consoles must not hold two descriptors each), a pending
 * batch, and one write chain. Bytes are written to the kernel within flushMs
 * (default 200 ms, at most 1 s), so after a crash of the service everything
 * older than that is on disk. Rotation by size and age renames both files to
 * `<name>.<UTC stamp>`, then gzips each rotated file to `<name>.<stamp>.gz`
 * in the background (written as `.gz.tmp`, renamed into place, and only then
 * is the uncompressed file removed: a reader that listed the plain name finds
 * the `.gz` beside it), and keeps the newest `keep` pairs (compressed or not:
 * a rotated file a crash left uncompressed is compressed at the next
 * rotation). Compression never holds up writes. reopen() (SIGHUP)
 * closes the descriptors, so a file that logrotate moved away is left alone
 * and a new one is created at the next write.
 * Hazards: offsets are resolved when the batch is written, against the file
 * as it is then, so they stay right across rotation and logrotate.
 */
import { mkdirSync, statSync } from 'node:fs'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { systemConsoleClock, type ConsoleClock } from './types.js'

export interface ConsoleLogOptions {
  dir: string
  node: string
  /** Pending bytes reach the kernel within this (default 200 ms; capped at 1 s). */
  flushMs?: number
  /** Rotate when the log reaches this many bytes (default 64 MiB). */
  maxBytes?: number
  /** Rotate when the log is older than this (default 24 h). */
  maxAgeMs?: number
  /** Rotated log/journal pairs kept (default 7). */
  keep?: number
  /** Close the descriptors after this long without writes (default 15 s). */
  idleCloseMs?: number
  clock?: ConsoleClock
  onError?: (err: Error) => void
}

/** Journal events; each line also gets `time` and `offset` (the log position the event belongs at). */
export type JournalEvent =
  | { type: 'open' }
  | { type: 'connect' }
  | { type: 'disconnect'; reason: string | null; message?: string | undefined }
  | { type: 'connect_failed'; reason: string | null; message?: string | undefined }
  | { type: 'attach'; client: number; user: string; mode: string }
  | { type: 'detach'; client: number; user: string; why?: string | undefined }
  | { type: 'takeover'; client: number; user: string; from: number | null }
  | { type: 'break'; client: number; user: string }

type Record_ = { kind: 'data'; time: number; rel: number; length: number } | { kind: 'event'; time: number; rel: number; event: JournalEvent }

const BURST_MS = 1000
/** Console logs hold whatever the hosts printed: private to the service user, like the rest of the data directory (src/store/file-modes.ts). */
const LOG_FILE_MODE = 0o600
const LOG_DIR_MODE = 0o700
const FLUSH_AT_BYTES = 256 * 1024
/** Suffix of a compressed rotated file, and of one being written. */
export const COMPRESSED_SUFFIX = '.gz'
const COMPRESSING_SUFFIX = '.gz.tmp'
/** A rotated file's stamp: `20260101T000000.000Z`, `-N` when two rotations share a millisecond. */
const STAMP_PATTERN = '\\d{8}T\\d{6}\\.\\d{3}Z(?:-\\d+)?'

export class ConsoleLog {
  readonly logPath: string
  readonly journalPath: string
  private readonly o: Required<Omit<ConsoleLogOptions, 'onError' | 'clock'>>
  private readonly clock: ConsoleClock
  private chunks: Uint8Array[] = []
  private pendingBytes = 0
  private records: Record_[] = []
  private lastData: Extract<Record_, { kind: 'data' }> | undefined
  private timer: unknown
  private idleTimer: unknown
  private chain: Promise<void> = Promise.resolve()
  private log: FileHandle | undefined
  private jnl: FileHandle | undefined
  private size = 0
  private createdAt = 0
  private ino = -1
  private closed = false
  /** Bytes written to the current log file (as far as known) plus pending. */
  private knownSize = 0
  /** Write failures (the batch is lost; onError is told). */
  errors = 0
  /** The background compression of rotated files (one pass at a time), and whether another pass is wanted. */
  private compressing: Promise<void> | undefined
  private compressAgain = false

  constructor(opts: ConsoleLogOptions) {
    this.o = {
      dir: opts.dir,
      node: opts.node,
      flushMs: Math.min(opts.flushMs ?? 200, 1000),
      maxBytes: opts.maxBytes ?? 64 * 1024 * 1024,
      maxAgeMs: opts.maxAgeMs ?? 24 * 3600_000,
      keep: opts.keep ?? 7,
      idleCloseMs: opts.idleCloseMs ?? 15_000,
    }
    this.clock = opts.clock ?? systemConsoleClock
    this.onError = opts.onError ?? (() => undefined)
    mkdirSync(opts.dir, { recursive: true, mode: LOG_DIR_MODE })
    this.logPath = join(opts.dir, `${opts.node}.log`)
    this.journalPath = join(opts.dir, `${opts.node}.jnl`)
    try {
      this.knownSize = statSync(this.logPath).size
    } catch {
      // no log yet
    }
  }

  private readonly onError: (err: Error) => void

  /** Size of the current log including bytes not yet written. */
  get bytes(): number {
    return this.knownSize + this.pendingBytes
  }

  append(data: Uint8Array): void {
    if (this.closed || data.length === 0) return
    const now = this.clock.now()
    // Copy: the caller's buffer may be reused or transferred.
    this.chunks.push(Uint8Array.prototype.slice.call(data))
    const last = this.lastData
    if (last !== undefined && now - last.time < BURST_MS) last.length += data.length
    else {
      this.lastData = { kind: 'data', time: now, rel: this.pendingBytes, length: data.length }
      this.records.push(this.lastData)
    }
    this.pendingBytes += data.length
    if (this.pendingBytes >= FLUSH_AT_BYTES) void this.flush()
    else this.arm()
  }

  event(event: JournalEvent): void {
    if (this.closed) return
    this.records.push({ kind: 'event', time: this.clock.now(), rel: this.pendingBytes, event })
    this.lastData = undefined
    this.arm()
  }

  /** Writes everything pending; resolves when it reached the kernel. */
  flush(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    const chunks = this.chunks
    const records = this.records
    const pending = this.pendingBytes
    this.chunks = []
    this.records = []
    this.pendingBytes = 0
    this.lastData = undefined
    if (chunks.length === 0 && records.length === 0) return this.chain
    this.chain = this.chain.then(() => this.write(chunks, records, pending)).catch((e: unknown) => {
      this.errors++
      this.onError(e instanceof Error ? e : new Error(String(e)))
    })
    return this.chain
  }

  /**
   * SIGHUP: flush, then let go of the files; the next write opens them again
   * by name. Queued at once, so every byte that arrives after the call goes
   * to the new files and every byte before it to the old ones.
   */
  reopen(): Promise<void> {
    void this.flush()
    this.chain = this.chain.then(() => this.closeHandles())
    return this.chain
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain
    await this.flush()
    this.closed = true
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer)
    this.chain = this.chain.then(() => this.closeHandles())
    await this.chain
    await this.compressed()
  }

  /** Resolves when no rotated file is being compressed (close() waits for it too). */
  async compressed(): Promise<void> {
    while (this.compressing !== undefined) await this.compressing
  }

  private arm(): void {
    if (this.timer === undefined) this.timer = this.clock.setTimeout(() => void this.flush(), this.o.flushMs)
  }

  private async write(chunks: Uint8Array[], records: Record_[], pending: number): Promise<void> {
    await this.ensureOpen()
    if (this.size >= this.o.maxBytes || this.clock.now() - this.createdAt >= this.o.maxAgeMs) await this.rotate()
    await this.ensureOpen()
    const base = this.size
    const lines = records.map((r) => JSON.stringify(r.kind === 'data'
      ? { time: new Date(r.time).toISOString(), type: 'data', offset: base + r.rel, length: r.length }
      : { time: new Date(r.time).toISOString(), offset: base + r.rel, ...r.event }))
    if (chunks.length > 0) await this.log!.writev(chunks)
    this.size += pending
    this.knownSize = this.size
    if (lines.length > 0) await this.jnl!.write(lines.join('\n') + '\n')
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer)
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined
      if (this.pendingBytes === 0 && this.records.length === 0) this.chain = this.chain.then(() => this.closeHandles())
    }, this.o.idleCloseMs)
  }

  private async ensureOpen(): Promise<void> {
    if (this.log !== undefined && this.jnl !== undefined) return
    const log = await open(this.logPath, 'a', LOG_FILE_MODE)
    try {
      this.jnl = await open(this.journalPath, 'a', LOG_FILE_MODE)
    } catch (e) {
      await log.close()
      throw e
    }
    this.log = log
    const st = await log.stat()
    this.size = st.size
    this.knownSize = st.size
    // The same file as before an idle close keeps its age; a new or foreign one starts from what the file says.
    if (st.ino !== this.ino) this.createdAt = st.size === 0 ? this.clock.now() : st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs
    this.ino = st.ino
    if (st.size === 0) await this.jnl.write(JSON.stringify({ time: new Date(this.clock.now()).toISOString(), offset: 0, type: 'open' }) + '\n')
  }

  private async closeHandles(): Promise<void> {
    const handles = [this.log, this.jnl]
    this.log = undefined
    this.jnl = undefined
    for (const h of handles) await h?.close().catch(() => undefined)
  }

  private async rotate(): Promise<void> {
    await this.closeHandles()
    const stamp = new Date(this.clock.now()).toISOString().replace(/[-:]/g, '')
    let suffix = stamp
    for (let i = 1; await exists(`${this.logPath}.${suffix}`); i++) suffix = `${stamp}-${i}`
    await rename(this.logPath, `${this.logPath}.${suffix}`).catch(() => undefined)
    await rename(this.journalPath, `${this.journalPath}.${suffix}`).catch(() => undefined)
    this.compressRotated()
  }

  /** The rotated files of this node by stamp (plain, `.gz` and `.gz.tmp` names alike). */
  private async rotated(): Promise<Map<string, string[]>> {
    const node = this.o.node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const re = new RegExp(`^${node}\\.(log|jnl)\\.(${STAMP_PATTERN})(\\.gz(?:\\.tmp)?)?$`)
    const byStamp = new Map<string, string[]>()
    for (const name of await readdir(this.o.dir)) {
      const m = re.exec(name)
      if (m === null) continue
      const list = byStamp.get(m[2]!) ?? []
      list.push(name)
      byStamp.set(m[2]!, list)
    }
    return byStamp
  }

  /** Keeps the newest `keep` rotated pairs (a compressed file counts like its plain one). */
  private async prune(): Promise<void> {
    const byStamp = await this.rotated()
    const stamps = [...byStamp.keys()].sort(compareStamps)
    for (const s of stamps.slice(0, Math.max(0, stamps.length - this.o.keep))) {
      for (const name of byStamp.get(s)!) await rm(join(this.o.dir, name), { force: true })
    }
  }

  /**
   * Starts a background pass that prunes, then gzips every rotated file still
   * plain; a pass asked for while one runs runs after it. Prune and compression
   * share the one pass so that a pair is never pruned while it is compressed
   * (which would leave its `.gz` behind).
   */
  private compressRotated(): void {
    if (this.compressing !== undefined) {
      this.compressAgain = true
      return
    }
    this.compressing = (async () => {
      do {
        this.compressAgain = false
        try {
          await this.prune()
          const byStamp = await this.rotated()
          for (const names of byStamp.values()) {
            for (const name of names) {
              if (name.endsWith(COMPRESSED_SUFFIX) || name.endsWith(COMPRESSING_SUFFIX)) continue
              if (names.includes(name + COMPRESSED_SUFFIX)) await rm(join(this.o.dir, name), { force: true })
              else await compressFile(join(this.o.dir, name))
            }
          }
        } catch (e) {
          this.errors++
          this.onError(e instanceof Error ? e : new Error(String(e)))
        }
      } while (this.compressAgain)
    })().finally(() => {
      this.compressing = undefined
    })
  }
}

/** `path` -> `path.gz` (through `.gz.tmp`, renamed into place), then the original is removed. A file gone meanwhile (pruned) is skipped. */
async function compressFile(path: string): Promise<void> {
  const tmp = path + COMPRESSING_SUFFIX
  try {
    await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp, { mode: LOG_FILE_MODE }))
  } catch (e) {
    await rm(tmp, { force: true })
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
    throw e
  }
  await rename(tmp, path + COMPRESSED_SUFFIX)
  await rm(path, { force: true })
}

function compareStamps(a: string, b: string): number {
  const [sa, na] = a.split('-')
  const [sb, nb] = b.split('-')
  return sa! < sb! ? -1 : sa! > sb! ? 1 : Number(na ?? 0) - Number(nb ?? 0)
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

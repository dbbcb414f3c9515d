// A Writable that keeps everything written to it (a CLI's stdout or stderr, a
// logger's destination) and wakes waiters on each write.
import { Writable } from 'node:stream'

export type Sink = Writable & {
  text(): string
  /** Resolves with the first match of `re` in everything written so far; rejects after `ms`. */
  until(re: RegExp, ms: number): Promise<RegExpExecArray>
}

export function sink(): Sink {
  const parts: string[] = []
  const waiters = new Set<() => void>()
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      parts.push(c.toString())
      for (const f of [...waiters]) f()
      cb()
    },
  }) as Sink
  w.text = () => parts.join('')
  w.until = (re, ms) => new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(w.text())
      if (m === null) return
      clearTimeout(timer)
      waiters.delete(check)
      resolve(m)
    }
    const timer = setTimeout(() => {
      waiters.delete(check)
      reject(new Error(`not written within ${ms} ms: ${re}; got:\n${w.text()}`))
    }, ms)
    waiters.add(check)
    check()
  })
  return w
}

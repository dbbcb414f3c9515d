// Test helpers for the metrics layer: a fake supervisor that emits the real
// events, and a parser for the Prometheus text format.
import { EventEmitter } from 'node:events'
import type { SourceEvents, SupervisorSource, WorkerSampler } from '../../../src/metrics/wiring.js'

export interface FakeNode {
  node: string
  state: string
  protocol?: string
  session: { state: string } | null
  console: { state: string } | null
  handle?: WorkerSampler
}

export class FakeSupervisor extends EventEmitter<SourceEvents> implements SupervisorSource {
  readonly nodes = new Map<string, FakeNode>()
  runs: { node: string; op: string }[] = []
  answer: (node: string) => Promise<unknown> = async () => ({ state: 'on' })

  status(): FakeNode[] {
    return [...this.nodes.values()]
  }

  handleOf(node: string): WorkerSampler | undefined {
    return this.nodes.get(node)?.handle
  }

  sensors: unknown = { sensors: [] }

  run(node: string, op: 'power.status' | 'sensors.list'): Promise<unknown> {
    this.runs.push({ node, op })
    return op === 'sensors.list' ? Promise.resolve(this.sensors) : this.answer(node)
  }

  add(node: string): void {
    this.nodes.set(node, { node, state: 'starting', session: null, console: null })
    this.emit('worker:state', node, 'starting')
  }
}

/** `name{a="x",b="y"}` (labels sorted) -> value, for every sample in an exposition. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`bad exposition line: ${line}`)
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort()
    out.set(labels.length === 0 ? m[1]! : `${m[1]}{${labels.join(',')}}`, Number(m[3]))
  }
  return out
}

/** The key parseExposition uses for a series. */
export function key(name: string, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort()
  return l.length === 0 ? name : `${name}{${l.join(',')}}`
}

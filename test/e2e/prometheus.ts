// A real Prometheus for tests: Debian's `prometheus` binary started on
// loopback with a temp config and TSDB directory, scraping every second and
// evaluating rules every second; queried through its HTTP API. Owns the
// process and the temp directory (stop() kills and removes both; the exit
// hook kills it if the test process ends first).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort } from '../lab/net.js'
import { requireTools } from '../lab/tools.js'
export { onPath } from '../lab/tools.js'

/** As requireIpmiSim: true when prometheus and promtool are installed; else skip, or throw under CI. */
export function requirePrometheus(t: TestContext): boolean {
  return requireTools(t, ['prometheus', 'promtool'], 'apt-get install prometheus')
}

export interface PromSample { metric: Record<string, string>; value: [number, string] }

export interface Prometheus {
  readonly url: string
  /** Instant query; throws with Prometheus's error for a query that does not parse or evaluate. */
  query(expr: string): Promise<PromSample[]>
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>
  output(): string
  stop(): Promise<void>
}

export interface PrometheusConfig {
  /** job name -> host:port targets. */
  jobs: Record<string, string[]>
  /** Rule file contents (YAML), written beside the config. */
  rules?: string
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL')
})

export async function startPrometheus(cfg: PrometheusConfig, timeoutMs = 30_000): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-prom-'))
  const scrapes = Object.entries(cfg.jobs).map(([job, targets]) => `  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`).join('\n')
  if (cfg.rules !== undefined) writeFileSync(join(dir, 'rules.yml'), cfg.rules)
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s',
    ...(cfg.rules !== undefined ? ['rule_files:', `  - ${join(dir, 'rules.yml')}`] : []),
    'scrape_configs:', scrapes, '',
  ].join('\n'))
  let lastError = ''
  // The port was free a moment ago; another process may take it first, so try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort('tcp')
    const proc = spawn('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    live.add(proc)
    let out = ''
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000)
    }
    proc.stdout?.on('data', keep)
    proc.stderr?.on('data', keep)
    let exited = false
    const exit = new Promise<void>((resolve) => proc.once('exit', () => {
      exited = true
      live.delete(proc)
      resolve()
    }))
    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + timeoutMs
    while (!exited && Date.now() < deadline) {
      const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)
      if (ok) return handle(url, proc, exit, dir, () => out)
      await new Promise((r) => setTimeout(r, 100))
    }
    proc.kill('SIGKILL')
    await exit
    lastError = out
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`prometheus did not become ready: ${lastError}`)
}

function handle(url: string, proc: ChildProcess, exit: Promise<void>, dir: string, output: () => string): Prometheus {
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(url + path)
    const body = await res.json() as { status: string; data: T; error?: string; errorType?: string }
    if (body.status !== 'success') throw new Error(`${path}: ${body.errorType ?? ''} ${body.error ?? res.status}`)
    return body.data
  }
  return {
    url,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSample[] | [number, string] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)
      if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }]
      return data.result as PromSample[]
    },
    async alerts() {
      return (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')).alerts
    },
    output,
    async stop() {
      proc.kill('SIGTERM')
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
      await exit
      clearTimeout(t)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

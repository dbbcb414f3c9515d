// Client side of bench/console.ts, in its own process (remote clients do not
// share the server's event loop): opens N console WebSockets and reports,
// as JSON lines on stdout, when each marker line "M<seq>\n" first reached
// each client (wall clock in ms, performance.timeOrigin + now()) and when
// each client had `bytes` bytes. Usage: console-clients.ts URL TOKEN N BYTES
import { createInterface } from 'node:readline'
import WebSocket from 'ws'

const [url, token, nArg, bytesArg] = process.argv.slice(2)
const n = Number(nArg)
const target = Number(bytesArg)
const now = () => performance.timeOrigin + performance.now()
const seen: Record<string, number[]> = {}
const doneAt: number[] = []
let ready = 0

for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url!, { headers: { authorization: `Bearer ${token}` } })
  let got = 0
  let tail = ''
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const m = JSON.parse(data.toString()) as { type: string; state?: string }
      if (m.type === 'state' && m.state === 'connected' && ++ready === n) process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`)
      return
    }
    const t = now()
    got += data.length
    if (target > 0) {
      if (got >= target && doneAt[i] === undefined) {
        doneAt[i] = t
        if (doneAt.filter((x) => x !== undefined).length === n) process.stdout.write(`${JSON.stringify({ type: 'done', doneAt })}\n`)
      }
      return
    }
    const text = tail + data.toString('latin1')
    const lines = text.split('\n')
    tail = lines.pop() ?? ''
    for (const l of lines) {
      const m = /M(\d+)$/.exec(l)
      if (m !== null) (seen[m[1]!] ??= []).push(t)
    }
  })
  ws.on('error', (e) => process.stderr.write(`client ${i}: ${e.message}\n`))
}

createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'report') process.stdout.write(`${JSON.stringify({ type: 'report', seen })}\n`)
  if (l === 'exit') process.exit(0)
})

// Memory a console's screen keeps while it batches a quiet host's output
// (workers/screen.ts): --packets SOL packets of --bytes each go into a
// ScreenEmulator (each as the agent hands it: its own Uint8Array), all
// before the batch is parsed, then after a full GC it prints the V8 heap in
// use and the ArrayBuffer memory (process.memoryUsage) above what they were
// before. Run it with --expose-gc.
// Reproduce: node --expose-gc --import tsx bench/screen-batch.ts --packets 1150 --bytes 14
import { parseArgs } from 'node:util'
import { ScreenEmulator } from '../workers/screen.js'

const { values: a } = parseArgs({ options: { packets: { type: 'string', default: '1150' }, bytes: { type: 'string', default: '14' } } })
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')
const before = (() => (gc(), process.memoryUsage()))()
const emu = new ScreenEmulator(() => {})
const packet = Buffer.alloc(Number(a.bytes), 0x41)
for (let i = 0; i < Number(a.packets); i++) emu.data(new Uint8Array(packet))
await new Promise((r) => setImmediate(r))
gc()
const after = process.memoryUsage()
const kb = (b: number) => (b / 1024).toFixed(0)
console.log(`${a.packets} packets of ${a.bytes} B held: heap used +${kb(after.heapUsed - before.heapUsed)} KB, array buffers +${kb(after.arrayBuffers - before.arrayBuffers)} KB`)
emu.dispose()

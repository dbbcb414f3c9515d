// The search worker from source (tsx: development and tests): a piscina
// thread does not inherit tsx's loader on Node 20, so this entry registers it
// and hands on the TypeScript task. dist loads search-worker.bundle.mjs (or
// tsc's search-worker.js) instead; see searchWorkerFile() in search-pool.ts.
import { register } from 'tsx/esm/api'

register()
const { default: scan } = await import('./search-worker.ts')
export default scan

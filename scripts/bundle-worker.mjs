#!/usr/bin/env node
// Bundles the BMC worker (workers/bmc-worker.ts and everything it imports:
// our own code; npm packages stay imports) into one ES module beside tsc's
// output. A thread that loads one file instead of ~90 starts about 4x faster
// and keeps about 1 MB less per BMC (bench/RESULTS-scale.md); the supervisor
// prefers this file when it exists (src/supervisor/worker-handle.ts). The
// test runner (scripts/run-tests.mjs) builds the same bundle for its run.
// Also the console log search pool's worker, the same way.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

export const DIST_WORKER_BUNDLE = 'dist/workers/bmc-worker.bundle.mjs'
export const DIST_SEARCH_BUNDLE = 'dist/src/console/search-worker.bundle.mjs'
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OPTIONS = { absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', metafile: true, logLevel: 'warning' }

/** Writes the bundle to `outfile` (its npm imports resolve from where it lies: keep it inside the checkout). */
export async function bundleWorker(outfile, { sourcemap = 'linked' } = {}) {
  const result = await build({ ...OPTIONS, entryPoints: ['workers/bmc-worker.ts'], outfile, sourcemap })
  const inputs = Object.keys(result.metafile.inputs)
  if (inputs.length < 10) throw new Error(`worker bundle has only ${inputs.length} inputs: wrong entry?`)
}

/**
 * The console log search worker (src/console/search-worker.ts: the scanner
 * and the error registry), beside tsc's output of its pool, which prefers it
 * (src/console/search-pool.ts searchWorkerFile()).
 */
export async function bundleSearchWorker(outfile) {
  const search = await build({ ...OPTIONS, entryPoints: ['src/console/search-worker.ts'], outfile, sourcemap: 'linked' })
  if (!Object.keys(search.metafile.inputs).some((i) => i.endsWith('log-scan.ts'))) throw new Error('search worker bundle lacks the scanner: wrong entry?')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleWorker(DIST_WORKER_BUNDLE)
  await bundleSearchWorker(DIST_SEARCH_BUNDLE)
}

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
/**
 * The npm packages the BMC worker leaves to Node's loader; every other one
 * (typebox) is bundled in. typebox loaded as a package is some 200 files: a
 * fresh thread spent about 220 ms of CPU in the module loader on them before
 * our code ran; bundled (and tree-shaken) it costs a small part of that
 * (bench/worker-start.ts). These stay outside because the worker loads them
 * only when a console needs them (workers/ssh-console.ts, workers/screen.ts),
 * and ssh2 has optional native parts.
 */
export const WORKER_EXTERNAL = ['ssh2', '@xterm/headless', '@xterm/addon-serialize']

/** Writes the bundle to `outfile` (its npm imports resolve from where it lies: keep it inside the checkout). */
export async function bundleWorker(outfile, { sourcemap = 'linked' } = {}) {
  const result = await build({ ...OPTIONS, packages: undefined, external: WORKER_EXTERNAL, entryPoints: ['workers/bmc-worker.ts'], outfile, sourcemap })
  const inputs = Object.keys(result.metafile.inputs)
  if (inputs.length < 10) throw new Error(`worker bundle has only ${inputs.length} inputs: wrong entry?`)
  const loaded = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path))
  const unexpected = loaded.filter((p) => !WORKER_EXTERNAL.includes(p))
  if (unexpected.length > 0) throw new Error(`worker bundle imports ${unexpected.join(', ')} at load: bundle them or add them to WORKER_EXTERNAL`)
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

#!/usr/bin/env node
// Bundles the BMC worker (workers/bmc-worker.ts and everything it imports:
// our own code; npm packages stay imports) into one ES module beside tsc's
// output. A thread that loads one file instead of ~90 starts about 4x faster
// and keeps about 1 MB less per BMC (bench/RESULTS-scale.md); the supervisor
// prefers this file when it exists (src/supervisor/worker-handle.ts). The
// test runner (scripts/run-tests.mjs) builds the same bundle for its run.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

export const DIST_WORKER_BUNDLE = 'dist/workers/bmc-worker.bundle.mjs'

/** Writes the bundle to `outfile` (its npm imports resolve from where it lies: keep it inside the checkout). */
export async function bundleWorker(outfile, { sourcemap = 'linked' } = {}) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['workers/bmc-worker.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap,
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  })
  const inputs = Object.keys(result.metafile.inputs)
  if (inputs.length < 10) throw new Error(`worker bundle has only ${inputs.length} inputs: wrong entry?`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleWorker(DIST_WORKER_BUNDLE)

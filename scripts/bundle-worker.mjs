#!/usr/bin/env node
// Bundles the BMC worker (workers/bmc-worker.ts and everything it imports:
// only our own code, no npm package) into one ES module beside tsc's output.
// A thread that loads one file instead of ~90 starts about 4x faster and
// keeps about 1 MB less per BMC (bench/RESULTS-scale.md); the supervisor
// prefers this file when it exists (src/supervisor/worker-handle.ts).
import { build } from 'esbuild'

const result = await build({
  entryPoints: ['workers/bmc-worker.ts'],
  outfile: 'dist/workers/bmc-worker.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
})
const inputs = Object.keys(result.metafile.inputs)
if (inputs.length < 10) throw new Error(`worker bundle has only ${inputs.length} inputs: wrong entry?`)

// The console log search worker (src/console/search-worker.ts: the scanner and
// the error registry), beside tsc's output of its pool, which prefers it
// (src/console/search-pool.ts searchWorkerFile()).
const search = await build({
  entryPoints: ['src/console/search-worker.ts'],
  outfile: 'dist/src/console/search-worker.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
})
if (!Object.keys(search.metafile.inputs).some((i) => i.endsWith('log-scan.ts'))) throw new Error('search worker bundle lacks the scanner: wrong entry?')

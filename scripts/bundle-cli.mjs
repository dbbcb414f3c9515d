#!/usr/bin/env node
// Bundles the bmcvisor command (src/cli/main.ts and what its client-side
// subcommands import, typebox included) into dist/cli/, one chunk per
// subcommand loaded on demand. A one-shot command then opens a few files
// instead of a few hundred: `bmcvisor help` and `bmcvisor power` start in
// well under half the time (bench/RESULTS-ops.md). The server side (serve,
// config, token: fastify, SQLite, the worker files found by path) stays
// tsc's output and is imported from dist/src/cli at run time.
import { build } from 'esbuild'

/** Where the bundle goes: dist/cli (bin), or the directory given (tests). Its server-side imports point to ../src/cli. */
const OUTDIR = process.argv[2] ?? 'dist/cli'

/** The one npm package bundled: pure ESM, hundreds of small files, read by every op verb through the registry. */
const BUNDLED_PACKAGE = /^typebox(\/|$)/
/** Subcommands left to tsc's output: they locate files relative to their own module or need native packages. */
const SERVER_SIDE = /^\.\/(serve|config|token)\.js$/

const result = await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: OUTDIR,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [{
    name: 'server-side-external',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGE.test(args.path) ? undefined : { path: args.path, external: true }))
      b.onResolve({ filter: SERVER_SIDE }, (args) => (args.importer.endsWith('src/cli/main.ts') ? { path: `../src/cli/${args.path.slice(2)}`, external: true } : undefined))
    },
  }],
})
const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))
for (const want of ['../src/cli/serve.js', '../src/cli/config.js', '../src/cli/token.js']) {
  if (!external.includes(want)) throw new Error(`cli bundle: ${want} is not left external`)
}

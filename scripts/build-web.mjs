#!/usr/bin/env node
// Builds the browser UI (src/web) into dist/web: one script (app.js), one
// stylesheet (app.css, xterm.js's own included) and index.html. The service
// serves exactly these files (src/api/routes/web.ts WEB_FILES).
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'

const outdir = 'dist/web'
mkdirSync(outdir, { recursive: true })
await build({
  entryPoints: { app: 'src/web/main.ts' },
  outdir,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
})
copyFileSync('src/web/index.html', `${outdir}/index.html`)

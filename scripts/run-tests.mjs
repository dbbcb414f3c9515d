#!/usr/bin/env node
// Runs the test suites with node:test. Node 20 does not expand globs, so the
// files are listed here; a run that executes no test fails.
import { spawn } from 'node:child_process'
import { readdirSync, statSync, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { bundleWorker } from './bundle-worker.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const SUITES = {
  unit: ['test/unit'],
  integration: ['test/integration'],
  fault: ['test/fault'],
  api: ['test/api'],
  e2e: ['test/e2e'],
}
const which = process.argv[2] ?? 'all'
const dirs = which === 'all' ? Object.values(SUITES).flat() : SUITES[which]
if (!dirs) {
  console.error(`unknown suite ${which}; one of: all, ${Object.keys(SUITES).join(', ')}`)
  process.exit(2)
}

function collect(dir) {
  let out = []
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries.sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out = out.concat(collect(p))
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const files = dirs.flatMap(collect).concat(process.argv.slice(3))
if (files.length === 0) {
  console.error('no test files found: a run that executes no test is a failure')
  process.exit(1)
}

const tap = join(mkdtempSync(join(tmpdir(), 'bmcvisor-test-')), 'report.tap')

// Every supervisor of the run starts its workers from one bundle of the
// source, as production does from dist: a worker compiling ~90 modules
// through tsx took 11 s to start beside 19 busy ones. The bundle lies inside
// the checkout so that its npm imports resolve.
const bundleDir = mkdtempSync(join(ROOT, 'node_modules', '.cache-bmcvisor-test-'))
const workerBundle = join(bundleDir, 'bmc-worker.bundle.mjs')
await bundleWorker(workerBundle, { sourcemap: 'inline' })
const args = [
  '--import', 'tsx', '--test',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 3}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
]
const child = spawn(process.execPath, args, {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, BMCVISOR_WORKER_FILE: workerBundle },
})
child.on('exit', (code, signal) => {
  let report = ''
  try {
    report = readFileSync(tap, 'utf8')
  } finally {
    rmSync(dirname(tap), { recursive: true, force: true })
    rmSync(bundleDir, { recursive: true, force: true })
  }
  const num = (k) => Number(report.match(new RegExp(`^# ${k} (\\d+)$`, 'm'))?.[1] ?? 0)
  // A test cancelled by its timeout is a failure too.
  const tests = num('tests'), pass = num('pass'), fail = num('fail') + num('cancelled'), skipped = num('skipped')
  console.log(`\n${pass} passed, ${fail} failed, ${skipped} skipped`)
  if (tests === 0) {
    console.error('no test was executed: failing the run')
    process.exit(1)
  }
  process.exit(signal ? 1 : (code ?? 1))
})

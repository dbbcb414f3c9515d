// The alert rules with promtool: the rule file is valid, and its unit tests
// (dashboards/prometheus/alerts.test.yml: the real `for` durations and
// thresholds on synthetic series) pass. Skips without promtool, fails under CI.
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { requirePrometheus } from '../../e2e/prometheus.js'

const DIR = fileURLToPath(new URL('../../../dashboards/prometheus/', import.meta.url))

it('promtool checks the rules and passes their unit tests', { timeout: 60_000 }, async (t) => {
  if (!requirePrometheus(t)) return
  const run = promisify(execFile)
  const check = await run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: DIR })
  assert.match(check.stdout + check.stderr, /SUCCESS: 8 rules found/)
  const test = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR })
  assert.match(test.stdout + test.stderr, /SUCCESS/)
})

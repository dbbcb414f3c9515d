#!/usr/bin/env -S node --import tsx
/**
 * Writes the Grafana dashboards to dashboards/grafana/dashboards/*.json
 * (`npx tsx scripts/dashboards/build.ts`); with `--check` it only says
 * whether the committed files are current. The JSON is committed so that
 * Grafana can provision it as is; this generator keeps panels uniform.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { failedSessions } from './failed.js'
import { fleetOverview } from './fleet.js'
import { nodeDetail } from './node.js'
import type { Json } from './panels.js'

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboards/grafana/dashboards/', import.meta.url))

export function buildDashboards(): Record<string, Json> {
  return {
    'bmcvisor-fleet.json': fleetOverview(),
    'bmcvisor-failed-sessions.json': failedSessions(),
    'bmcvisor-node-detail.json': nodeDetail(),
  }
}

export function render(d: Json): string {
  return `${JSON.stringify(d, null, 2)}\n`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const [file, d] of Object.entries(buildDashboards())) {
    const path = DASHBOARD_DIR + file
    if (check) {
      let old = ''
      try {
        old = readFileSync(path, 'utf8')
      } catch {
        // missing counts as stale
      }
      if (old !== render(d)) {
        stale++
        console.error(`stale: ${path}`)
      }
    } else writeFileSync(path, render(d))
  }
  process.exit(stale === 0 ? 0 : 1)
}

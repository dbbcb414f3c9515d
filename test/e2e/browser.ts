// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven
// by playwright-core, each browser with a fresh profile (its own cookie jar,
// so one browser is one signed-in person). Every page's console errors,
// uncaught exceptions and requests to any other origin are recorded, so a
// test can assert there were none.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
/** Where tests keep screenshots they are asked to keep (git-ignored). */
export const ARTIFACTS = new URL('../../tmp/test-artifacts/', import.meta.url).pathname

/** false (and the test skipped) without Debian's chromium; with CI set, a failure instead. */
export function requireChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`)
  t.skip(`${CHROMIUM} is missing (apt-get install chromium)`)
  return false
}

export interface Browser {
  context: BrowserContext
  page: Page
  /** Console errors, page errors and requests to other origins, as text. */
  problems: string[]
  close(): Promise<void>
}

export async function openBrowser(origin: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'bmcvisor-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 860 }, ignoreHTTPSErrors: true,
  })
  const problems: string[] = []
  const watch = (page: Page) => {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`) })
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('request', (r) => {
      const u = r.url()
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith(origin.replace(/^http/, 'ws'))) problems.push(`request to another host: ${u}`)
    })
  }
  context.on('page', watch)
  const page = context.pages()[0] ?? (await context.newPage())
  watch(page)
  return {
    context, page, problems,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

interface CellLike { getChars(): string; getFgColor(): number; getBgColor(): number; isBold(): number; isInverse(): number }
interface LineLike { translateToString(trim?: boolean, start?: number, end?: number): string; getCell(x: number): CellLike | undefined }
interface TermLike { buffer: { active: { type: string; viewportY: number; cursorX: number; cursorY: number; getLine(y: number): LineLike | undefined } } }

/** What a person sees in the page's terminal: the active buffer's kind, the text and colours of the host's 80x24 screen, the cursor. */
export function terminalScreen(page: Page, cols: number, rows: number): Promise<{ type: string; rows: string[]; cursor: [number, number]; colours: string[] }> {
  return page.evaluate(([c, r]) => {
    const term = (globalThis as unknown as { bmcvisor: { term: TermLike } }).bmcvisor.term
    const b = term.buffer.active
    const lines: string[] = []
    const colours: string[] = []
    for (let y = 0; y < r; y++) {
      const line = b.getLine(b.viewportY + y)
      lines.push(line?.translateToString(true, 0, c) ?? '')
      let attrs = ''
      for (let x = 0; x < c; x++) {
        const cell = line?.getCell(x)
        attrs += cell === undefined ? '.' : `${cell.getFgColor()}/${cell.getBgColor()}/${cell.isBold()}/${cell.isInverse()};`
      }
      colours.push(attrs)
    }
    return { type: b.type, rows: lines, cursor: [b.cursorX, b.cursorY] as [number, number], colours }
  }, [cols, rows] as const)
}

/**
 * conserver.cf(5) syntax: `block-type block-name { keyword value; ... }`,
 * `#` comments, `\` and `"..."` quoting, and `#include FILE` lines in column
 * 0 (at most 10 deep). Whitespace separates words only where a block type or
 * a keyword is expected; inside a block name or a value it is kept (and
 * trimmed around). Every block and item keeps its `file:line`.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { importError } from './types.js'

const MAX_INCLUDE_DEPTH = 10
const TOKENS = new Set(['{', '}', ';'])

export interface Item { keyword: string; value: string; at: string }
export interface Block { type: string; name: string; at: string; items: Item[] }

interface Line { text: string; at: string }

function lines(file: string, depth: number, from: string | undefined): Line[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw importError(from ?? file, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  return text.split('\n').flatMap((line, i) => {
    const at = `${file}:${i + 1}`
    if (!line.startsWith('#include')) return [{ text: line, at }]
    if (depth >= MAX_INCLUDE_DEPTH) throw importError(at, `#include nested deeper than ${MAX_INCLUDE_DEPTH}`)
    return lines(resolve(dirname(file), line.slice('#include'.length).trim()), depth + 1, at)
  })
}

/** Reads conserver.cf text: words, values, tokens, with the `file:line` of any position. */
class Scanner {
  pos = 0
  private readonly text: string
  private readonly lineAt: number[] = []

  constructor(private readonly src: Line[]) {
    this.text = src.map((l) => l.text).join('\n')
    src.forEach((l, i) => { for (let k = 0; k <= l.text.length; k++) this.lineAt.push(i) })
  }

  get char(): string | undefined {
    return this.text[this.pos]
  }

  at(p = this.pos): string {
    return this.src[this.lineAt[Math.min(p, this.lineAt.length - 1)]!]!.at
  }

  /** Whitespace and comments. */
  skipSpace(): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++
      if (this.text[this.pos] !== '#') return
      while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++
    }
  }

  /** A word (ends at whitespace) or a value (keeps inner whitespace), up to an unquoted token. */
  read(mode: 'word' | 'value'): string {
    let out = ''
    let keep = 0 // the length of `out` that is quoted or inner, and so survives the final trim
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!
      if (TOKENS.has(c) || c === '#') break
      if (/\s/.test(c)) {
        if (mode === 'word' && out !== '') break
        if (out !== '') out += c
        this.pos++
        continue
      }
      if (c === '\\') {
        out += this.text[this.pos + 1] ?? ''
        this.pos += 2
      } else if (c === '"') {
        out += this.quoted()
      } else {
        out += c
        this.pos++
      }
      keep = out.length
    }
    return out.slice(0, keep)
  }

  /** A "..." string: everything literal but \". */
  private quoted(): string {
    const start = this.pos++
    let out = ''
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      if (this.text[this.pos] === '\\' && this.text[this.pos + 1] === '"') this.pos++
      out += this.text[this.pos++]!
    }
    if (this.pos >= this.text.length) throw importError(this.at(start), 'unterminated "')
    this.pos++
    return out
  }

  expect(token: string, what: string): void {
    this.skipSpace()
    if (this.char !== token) throw importError(this.at(), `expected "${token}" ${what}, found ${this.char === undefined ? 'the end of the file' : JSON.stringify(this.char)}`)
    this.pos++
  }
}

function parseBlock(s: Scanner): Block {
  const start = s.pos
  const type = s.read('word')
  if (type === '') throw importError(s.at(), `expected a block type, found ${JSON.stringify(s.char)}`)
  s.skipSpace()
  const name = s.read('value')
  s.expect('{', `after ${type} ${JSON.stringify(name)}`)
  const block: Block = { type, name, at: s.at(start), items: [] }
  for (s.skipSpace(); s.char !== '}'; s.skipSpace()) {
    if (s.char === undefined) throw importError(block.at, `block ${type} ${JSON.stringify(name)} is not closed with "}"`)
    const at = s.at()
    const keyword = s.read('word')
    if (keyword === '') throw importError(at, `expected a keyword, found ${JSON.stringify(s.char)}`)
    s.skipSpace()
    const value = s.read('value')
    s.skipSpace()
    if (s.char === ';') s.pos++
    else if (s.char !== '}') throw importError(at, `expected ";" after ${keyword}`)
    block.items.push({ keyword: keyword.toLowerCase(), value, at })
  }
  s.pos++
  return block
}

/** Every block of a conserver.cf (with its includes), in order. */
export function parseConserver(file: string): Block[] {
  const s = new Scanner(lines(file, 0, undefined))
  const blocks: Block[] = []
  for (s.skipSpace(); s.char !== undefined; s.skipSpace()) blocks.push(parseBlock(s))
  return blocks
}

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

/** Every block of a conserver.cf (with its includes), in order. */
export function parseConserver(file: string): Block[] {
  const src = lines(file, 0, undefined)
  const text = src.map((l) => l.text).join('\n')
  const lineAt: number[] = []
  src.forEach((l, i) => { for (let k = 0; k <= l.text.length; k++) lineAt.push(i) })
  let pos = 0
  const at = (p: number) => src[lineAt[Math.min(p, lineAt.length - 1)]!]!.at
  const skipSpace = () => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos]!)) pos++
      if (text[pos] !== '#') return
      while (pos < text.length && text[pos] !== '\n') pos++
    }
  }
  /** A word (stops at whitespace) or a value (keeps inner whitespace), up to an unquoted token. */
  const read = (mode: 'word' | 'value'): string => {
    let out = ''
    let keep = 0 // length of `out` that is quoted or inner, and so survives the final trim
    while (pos < text.length) {
      const c = text[pos]!
      if (TOKENS.has(c) || c === '#') break
      if (/\s/.test(c)) {
        if (mode === 'word' && out !== '') break
        if (out !== '') out += c
        pos++
        continue
      }
      if (c === '\\') {
        out += text[pos + 1] ?? ''
        pos += 2
      } else if (c === '"') {
        const start = pos
        pos++
        while (pos < text.length && text[pos] !== '"') {
          if (text[pos] === '\\' && text[pos + 1] === '"') pos++
          out += text[pos]!
          pos++
        }
        if (pos >= text.length) throw importError(at(start), 'unterminated "')
        pos++
      } else {
        out += c
        pos++
      }
      keep = out.length
    }
    return out.slice(0, keep)
  }
  const expect = (token: string, what: string) => {
    skipSpace()
    if (text[pos] !== token) throw importError(at(pos), `expected "${token}" ${what}, found ${pos >= text.length ? 'the end of the file' : JSON.stringify(text[pos])}`)
    pos++
  }
  const blocks: Block[] = []
  for (skipSpace(); pos < text.length; skipSpace()) {
    const start = pos
    const type = read('word')
    if (type === '') throw importError(at(pos), `expected a block type, found ${JSON.stringify(text[pos])}`)
    skipSpace()
    const name = read('value')
    expect('{', `after ${type} ${JSON.stringify(name)}`)
    const block: Block = { type, name, at: at(start), items: [] }
    for (skipSpace(); text[pos] !== '}'; skipSpace()) {
      if (pos >= text.length) throw importError(block.at, `block ${type} ${JSON.stringify(name)} is not closed with "}"`)
      const itemAt = at(pos)
      const keyword = read('word')
      if (keyword === '') throw importError(itemAt, `expected a keyword, found ${JSON.stringify(text[pos])}`)
      skipSpace()
      const value = read('value')
      skipSpace()
      if (text[pos] === ';') pos++
      else if (text[pos] !== '}') throw importError(itemAt, `expected ";" after ${keyword}`)
      block.items.push({ keyword: keyword.toLowerCase(), value, at: itemAt })
    }
    pos++
    blocks.push(block)
  }
  return blocks
}

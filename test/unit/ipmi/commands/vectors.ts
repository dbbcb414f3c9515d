/**
 * Table-driven checks shared by the command codec tests: identity (netFn,
 * cmd), encode -> exact bytes, decode of literal bytes -> exact value, and
 * every truncation below the minimum response length -> IPMI_DECODE_ERROR
 * (never a crash, never a half-filled value). Each vector names its source:
 * an ipmi_sim 2.0.33 / ipmitool 1.8.19 capture, or the spec layout.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { IpmiCommand } from '../../../../src/ipmi/command.js'

/** Hex to bytes; spaces, '|' and newlines are ignored so vectors can show fields. */
export function bytes(hex: string): Buffer {
  const clean = hex.replace(/[\s|]/g, '')
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex vector: ${hex}`)
  return Buffer.from(clean, 'hex')
}

export interface EncodeCase<Req> {
  name: string
  req: Req
  hex: string
  source: string
}

export interface DecodeCase<Res> {
  name: string
  hex: string
  value: Res
  source: string
  /** Completion code passed to decode (default 0). */
  cc?: number
}

export interface CommandVectors<Req, Res> {
  command: IpmiCommand<Req, Res>
  netFn: number
  cmd: number
  /** Shortest response data the decoder accepts. */
  minLength: number
  encode: EncodeCase<Req>[]
  decode: DecodeCase<Res>[]
  /** Requests the encoder must refuse with a RangeError. */
  rejects?: { name: string; req: Req }[]
}

export function isDecodeError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'IPMI_DECODE_ERROR'
}

export function describeCommand<Req, Res>(v: CommandVectors<Req, Res>): void {
  const c = v.command
  describe(c.name, () => {
    test('netFn and cmd', () => {
      assert.equal(c.netFn, v.netFn)
      assert.equal(c.cmd, v.cmd)
    })
    for (const e of v.encode) {
      test(`encode: ${e.name} (${e.source})`, () => {
        assert.equal(c.encode(e.req).toString('hex'), bytes(e.hex).toString('hex'))
      })
    }
    for (const r of v.rejects ?? []) {
      test(`encode rejects: ${r.name}`, () => {
        assert.throws(() => c.encode(r.req), RangeError)
      })
    }
    for (const d of v.decode) {
      const data = bytes(d.hex)
      test(`decode: ${d.name} (${d.source})`, () => {
        assert.deepEqual(c.decode(data, d.cc ?? 0), d.value)
      })
      if (v.minLength === 0) continue
      test(`decode: ${d.name}: every truncation below ${v.minLength} bytes throws IPMI_DECODE_ERROR`, () => {
        assert.ok(data.length >= v.minLength, `vector shorter than minLength ${v.minLength}`)
        for (let n = 0; n < v.minLength; n++) {
          assert.throws(() => c.decode(data.subarray(0, n), d.cc ?? 0), isDecodeError, `length ${n}`)
        }
        assert.doesNotThrow(() => c.decode(data.subarray(0, v.minLength), d.cc ?? 0), 'minLength itself must decode')
      })
    }
  })
}

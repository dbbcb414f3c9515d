// FRU inventory and the SEL against OpenIPMI's ipmi_sim, cross-checked with
// ipmitool 1.8.19 on the same simulator (issue: hardware data): FRU fields
// equal `ipmitool fru print` for both FRU devices (FRU 1 uses 6-bit ASCII,
// BCD plus and binary fields); SEL entries equal `ipmitool sel list` and
// `sel elist` (count, IDs, timestamps, text), pre-init and wall-clock
// timestamps alike; clear empties the log for both clients.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { IpmiClient } from '../../src/session/client.js'
import { listFru, readFru, type FruDeviceInventory } from '../../src/bmc/fru.js'
import { clearSel, listSel, selInfo } from '../../src/bmc/sel.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import type { CommandRunner } from '../../src/bmc/runner.js'
import type { SelEntry } from '../../src/ipmi/sel-record.js'
import { ipmitool, ipmiSimAvailable, requireIpmiSim, startIpmiSim, waitUntil, type IpmiSim } from '../lab/sim.js'

// ipmitool prints local time; the simulator's clock and ours are compared in UTC.
process.env.TZ = 'UTC'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function cli(sim: IpmiSim, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', 'tsx', CLI, 'ipmi', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-P', 'password', '-C', '3', ...args]
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** `ipmitool fru print` -> device description -> [label, value] pairs in order. */
function parseFruPrint(text: string): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>()
  let cur: [string, string][] = []
  for (const line of text.split('\n')) {
    const head = /^FRU Device Description : (.*)$/.exec(line)
    if (head !== null) out.set(head[1]!, (cur = []))
    const field = /^ (\S.*?)\s+: (.*)$/.exec(line)
    if (field !== null) cur.push([field[1]!, field[2]!])
  }
  return out
}

/** Our inventory as the [label, value] pairs ipmitool prints (non-empty fields only). */
function fruPairs(d: FruDeviceInventory): [string, string][] {
  const out: [string, string][] = []
  const add = (label: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') out.push([label, v])
  }
  const c = d.chassis
  if (c !== undefined) {
    add('Chassis Type', c.typeName)
    add('Chassis Part Number', c.partNumber.value)
    add('Chassis Serial', c.serialNumber.value)
    c.custom.forEach((f) => add('Chassis Extra', f.value))
  }
  const b = d.board
  if (b !== undefined) {
    // strftime "%c %Z" in UTC, e.g. "Thu Jun 15 10:30:00 2023 UTC".
    const t = b.mfgDate === null ? 'Unspecified' : new Date(b.mfgDate).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, (_m, dw: string, dd: string, mon: string, y: string, hms: string) => `${dw} ${mon} ${dd.replace(/^0/, ' ')} ${hms} ${y} UTC`)
    add('Board Mfg Date', t)
    add('Board Mfg', b.manufacturer.value)
    add('Board Product', b.productName.value)
    add('Board Serial', b.serialNumber.value)
    add('Board Part Number', b.partNumber.value)
    b.custom.forEach((f) => add('Board Extra', f.value))
  }
  const p = d.product
  if (p !== undefined) {
    add('Product Manufacturer', p.manufacturer.value)
    add('Product Name', p.productName.value)
    add('Product Part Number', p.partNumber.value)
    add('Product Version', p.version.value)
    add('Product Serial', p.serialNumber.value)
    add('Product Asset Tag', p.assetTag.value)
    p.custom.forEach((f) => add('Product Extra', f.value))
  }
  return out
}

interface ToolSelLine {
  id: number
  when: string
  text: string
}

/** `ipmitool sel list|elist` lines: hex ID, the time columns, the rest with blank runs collapsed. */
function parseSel(text: string): ToolSelLine[] {
  return text
    .split('\n')
    .filter((l) => /^\s*[0-9a-f]+ \|/.test(l))
    .map((l) => {
      const pre = /^\s*([0-9a-f]+) \|\s+Pre-Init\s+\|(\d{10})\| (.*)$/.exec(l)
      if (pre !== null) return { id: parseInt(pre[1]!, 16), when: `pre-init ${Number(pre[2])}`, text: pre[3]!.replace(/ +/g, ' ') }
      const m = /^\s*([0-9a-f]+) \| (\S+) \| (\S+ \S+) \| (.*)$/.exec(l)
      assert.ok(m !== null, `unparsed SEL line: ${l}`)
      return { id: parseInt(m[1]!, 16), when: `${m[2]} ${m[3]}`, text: m[4]!.replace(/ +/g, ' ') }
    })
}

function asToolLine(e: SelEntry): ToolSelLine {
  const t = e.time
  let when = ''
  if (t?.preInit === true) when = `pre-init ${t.raw}`
  else if (t?.iso != null) {
    const d = new Date(t.iso)
    const p = (n: number) => String(n).padStart(2, '0')
    when = `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`
  }
  return { id: e.id, when, text: e.text }
}

describe('FRU and SEL against ipmi_sim and ipmitool', () => {
  let sim: IpmiSim
  let client: IpmiClient
  before(async () => {
    if (!ipmiSimAvailable() && !process.env.CI) return
    sim = await startIpmiSim()
    client = new IpmiClient({ host: sim.host, port: sim.port }, { username: 'admin', password: 'password', cipherSuite: 3 })
  })
  after(async () => {
    await client?.close()
    await sim?.stop()
  })

  it('FRU fields of every device equal `ipmitool fru print`', async (t) => {
    if (!requireIpmiSim(t)) return
    const devices = await listFru(client)
    const tool = parseFruPrint(await ipmitool(sim, ['fru', 'print']))
    assert.deepEqual(devices.map((d) => `${d.name} (ID ${d.fruId})`), [...tool.keys()])
    for (const d of devices) {
      assert.equal(d.error, undefined)
      assert.deepEqual(fruPairs(d.inventory!), tool.get(`${d.name} (ID ${d.fruId})`), d.name)
    }
    const riser = devices[1]!.inventory!
    assert.deepEqual([riser.board?.manufacturer.encoding, riser.board?.serialNumber.encoding, riser.board?.custom[0]?.encoding], ['ascii-6bit', 'bcd-plus', 'binary'])
    assert.deepEqual(riser.multiRecords.map((m) => [m.type, m.endOfList, m.dataChecksumValid]), [[0x01, false, true], [0xc0, true, true]])
  })

  it('FRU reads with chunks ipmi_sim refuses (C8h) shrink and get the same data; `bmcvisor ipmi fru` prints what ipmitool prints', async (t) => {
    if (!requireIpmiSim(t)) return
    const refused: unknown[] = []
    const watching: CommandRunner = {
      run: (c, req, o) => client.run(c, req, o).catch((e: unknown) => {
        refused.push((e as { details?: { completionCode?: unknown } }).details?.completionCode)
        throw e
      }),
    }
    const big = await readFru(watching, 1, { chunkSize: 255 })
    // ipmi_sim's LAN responses hold about 60 bytes: 255, 127 and 63 are refused with C8h, 31 fits.
    assert.deepEqual(refused, [0xc8, 0xc8, 0xc8])
    const small = await readFru(client, 1, { chunkSize: 16 })
    assert.deepEqual({ ...big, bytesRead: 0 }, { ...small, bytesRead: 0 })
    const [ours, theirs] = await Promise.all([cli(sim, ['fru']), ipmitool(sim, ['fru', 'print'])])
    assert.equal(ours.code, 0, ours.stderr)
    assert.equal(ours.stdout.trimEnd(), theirs.trimEnd())
    assert.equal((await cli(sim, ['fru', '1'])).stdout.trimEnd(), (await ipmitool(sim, ['fru', 'print', '1'])).trimEnd())
  })

  it('SEL entries equal `ipmitool sel list` and `sel elist`: count, IDs, pre-init timestamps, text', async (t) => {
    if (!requireIpmiSim(t)) return
    const cache = new SdrCache()
    const plain = await listSel(client)
    const named = await listSel(client, { sdr: (await cache.read(client)).records })
    const list = parseSel(await ipmitool(sim, ['sel', 'list']))
    const elist = parseSel(await ipmitool(sim, ['sel', 'elist']))
    assert.equal(plain.entries.length, 5)
    assert.equal(plain.info.entries, 5)
    assert.deepEqual(plain.entries.map(asToolLine), list)
    assert.deepEqual(named.entries.map(asToolLine), elist)
  })

  it('wall-clock timestamps after `sel time set now`: new events read the same for both', async (t) => {
    if (!requireIpmiSim(t)) return
    await ipmitool(sim, ['sel', 'time', 'set', 'now'])
    sim.setSensor('cpu_temp', 90) // crosses upper non-critical (85): ipmi_sim logs an event
    const entries = await waitUntil(async () => {
      const l = await listSel(client)
      return l.entries.length > 5 ? l.entries : undefined
    }, { timeoutMs: 5000, intervalMs: 100, what: 'the threshold event in the SEL' })
    const added = entries.slice(5)
    assert.ok(added.every((e) => e.time?.iso !== null && e.time?.preInit === false), JSON.stringify(added.map((e) => e.time)))
    assert.ok(Math.abs(Date.parse(added[0]!.time!.iso!) - Date.now()) < 120_000, 'stamped with the SEL clock just set')
    const tool = parseSel(await ipmitool(sim, ['sel', 'list']))
    assert.deepEqual(entries.map(asToolLine), tool.slice(0, entries.length))
    assert.match(added[0]!.text, /^Temperature #0x01 \| Upper Non-critical going high \| Asserted$/)
  })

  it('clear (reserve + erase) empties the log for both clients; the CLI says so', async (t) => {
    if (!requireIpmiSim(t)) return
    const before = (await selInfo(client)).entries
    assert.ok(before >= 5)
    const res = await clearSel(client)
    assert.deepEqual(res, { cleared: true, entriesBefore: before })
    assert.equal((await listSel(client)).entries.length, 0)
    // ipmitool says "SEL has no entries" on stderr: its stdout has no entry lines.
    assert.deepEqual(parseSel(await ipmitool(sim, ['sel', 'list'])), [])
    assert.match(await ipmitool(sim, ['sel', 'info']), /Entries\s+: 0/)
    // And the other way round: an event, then the CLI clears, and ipmitool sees it empty.
    sim.setSensor('cpu_temp', 45)
    await waitUntil(async () => ((await selInfo(client)).entries > 0 ? true : undefined), { timeoutMs: 5000, intervalMs: 100, what: 'a deassertion event' })
    const out = await cli(sim, ['sel', 'clear'])
    assert.equal(out.code, 0, out.stderr)
    assert.match(out.stdout, /^SEL cleared \(\d+ entries removed\)$/m)
    assert.equal((await cli(sim, ['sel', 'list'])).stdout.trim(), 'SEL has no entries')
    assert.deepEqual(parseSel(await ipmitool(sim, ['sel', 'list'])), [])
    assert.match(await ipmitool(sim, ['sel', 'info']), /Entries\s+: 0/)
  })
})

// Benchmark: warm-session command latency and login time of our IPMI client
// against peers run in the same session on the same ipmi_sim:
//  - a raw UDP round trip (pre-session Get Channel Auth Capabilities, no crypto),
//  - ipmitool -I lanplus -C 3 run as a process per command (how conserver-style
//    setups and scripts use it), and ipmitool's own warm session (`exec` file).
// Run: node --import tsx bench/ipmi-command.ts [--n 2000]
import dgram from 'node:dgram'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { IpmiClient } from '../src/session/client.js'
import { GetChassisStatus } from '../src/ipmi/commands/get-chassis-status.js'
import { GetDeviceId } from '../src/ipmi/commands/get-device-id.js'
import { encodeV15Packet } from '../src/ipmi/packet.js'
import { encodeLanRequest } from '../src/ipmi/lan-message.js'
import { startIpmiSim } from '../test/lab/sim.js'

const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' } } })
const N = Number(values.n)

interface Stats { n: number; p50: number; p99: number; perSec: number; cpuMs: number }
function stats(ms: number[], cpuMs = 0): Stats {
  const s = [...ms].sort((a, b) => a - b)
  const total = ms.reduce((a, b) => a + b, 0)
  return { n: ms.length, p50: s[Math.floor(s.length / 2)]!, p99: s[Math.floor(s.length * 0.99)]!, perSec: (1000 * ms.length) / total, cpuMs }
}

async function timed(n: number, f: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < Math.min(50, n); i++) await f() // warm up
  const ms: number[] = []
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f()
    ms.push(performance.now() - t)
  }
  const cpu = process.cpuUsage(cpu0)
  // This process's CPU (user + system) per operation, after warm-up.
  return stats(ms, (cpu.user + cpu.system) / 1000 / n)
}

const sim = await startIpmiSim({ powerOn: true })
try {
  const target = { host: sim.host, port: sim.port }
  // Raw round trip: one socket, no session, no crypto.
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((r) => sock.connect(sim.port, sim.host, () => r()))
  const probe = encodeV15Packet(encodeLanRequest({ netFn: 0x06, cmd: 0x38, rqSeq: 1, data: Buffer.from([0x8e, 0x04]) }))
  const raw = await timed(N, () => new Promise<void>((r) => { sock.once('message', () => r()); sock.send(probe) }))
  sock.close()

  const c = new IpmiClient(target, { username: 'admin', password: 'password', cipherSuite: 3 })
  await c.connect()
  const devId = await timed(N, () => c.run(GetDeviceId, undefined))
  const cpuPerCmdMs = devId.cpuMs
  const chassis = await timed(Math.min(N, 500), () => c.run(GetChassisStatus, undefined))
  await c.close()

  // Login: a fresh client per login, fixed suite (what a reconnect does), and negotiated (first contact).
  const loginFixed = await timed(30, async () => {
    const k = new IpmiClient(target, { username: 'admin', password: 'password', cipherSuite: 3 })
    await k.connect()
    await k.close()
  })
  const loginNegotiated = await timed(10, async () => {
    const k = new IpmiClient(target, { username: 'admin', password: 'password' })
    await k.connect()
    await k.close()
  })

  const ipmitool = (args: string[]) => execFileSync('ipmitool', ['-I', 'lanplus', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-P', 'password', '-C', '3', ...args], { stdio: 'pipe' })
  const toolPower = await timed(30, async () => ipmitool(['chassis', 'power', 'status']))
  const toolMcInfo = await timed(30, async () => ipmitool(['mc', 'info']))
  // ipmitool's warm session: one process, one login, many commands.
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-'))
  const script = join(dir, 'cmds')
  writeFileSync(script, 'chassis power status\n'.repeat(200))
  const t0 = performance.now()
  ipmitool(['exec', script])
  const toolExecPerCmd = (performance.now() - t0) / 200
  writeFileSync(script, 'mc info\n'.repeat(500))
  const t1 = performance.now()
  ipmitool(['exec', script])
  const toolExecDevId = (performance.now() - t1) / 500

  const f = (x: number) => x.toFixed(3)
  const rows = [
    ['raw UDP round trip (Get Channel Auth Caps, no session)', f(raw.p50), f(raw.p99), raw.perSec.toFixed(0)],
    ['bmcvisor warm session: Get Device ID', f(devId.p50), f(devId.p99), devId.perSec.toFixed(0)],
    ['bmcvisor CPU per warm command (encode, HMAC, AES, decode, event loop)', f(cpuPerCmdMs), '-', '-'],
    ['bmcvisor warm session: chassis status', f(chassis.p50), f(chassis.p99), chassis.perSec.toFixed(0)],
    ['ipmitool exec (one session): mc info (Get Device ID), per command', f(toolExecDevId), '-', (1000 / toolExecDevId).toFixed(0)],
    ['ipmitool exec (one session): chassis power status, per command', f(toolExecPerCmd), '-', (1000 / toolExecPerCmd).toFixed(0)],
    ['ipmitool process: chassis power status', f(toolPower.p50), f(toolPower.p99), toolPower.perSec.toFixed(1)],
    ['bmcvisor login (suite 3 fixed) + Close Session', f(loginFixed.p50), f(loginFixed.p99), '-'],
    ['bmcvisor login (negotiated: probe, 17 refused, 3) + close', f(loginNegotiated.p50), f(loginNegotiated.p99), '-'],
    ['ipmitool process: mc info (login + 1 command)', f(toolMcInfo.p50), f(toolMcInfo.p99), '-'],
  ]
  console.log('| measurement | p50 ms | p99 ms | per second |\n|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  console.log()
  console.log(`ratios: Get Device ID p50 / raw p50 = ${(devId.p50 / raw.p50).toFixed(2)}x; ` +
    `ipmitool process chassis power status / bmcvisor chassis status (p50) = ${(toolPower.p50 / chassis.p50).toFixed(1)}x; ` +
    `ipmitool exec per command / bmcvisor chassis status = ${(toolExecPerCmd / chassis.p50).toFixed(2)}x; ` +
    `ipmitool exec mc info per command / bmcvisor Get Device ID p50 = ${(toolExecDevId / devId.p50).toFixed(2)}x; ` +
    `ipmitool mc info process / bmcvisor fixed-suite login = ${(toolMcInfo.p50 / loginFixed.p50).toFixed(1)}x`)
} finally {
  await sim.stop()
}

// The importers on fixtures written from the tools' documented formats
// (test/fixtures/import): conserver.cf(5) with defaults, includes, ipmi and
// exec (ipmitool, ipmiconsole) consoles; confluent's nodeattrib output and
// JSON; CSV. Each bad line names its file and line.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importConserver, shellWords } from '../../../src/cli/import/conserver.js'
import { importConfluent } from '../../../src/cli/import/confluent.js'
import { importCsv } from '../../../src/cli/import/csv.js'
import { importYaml } from '../../../src/cli/import/yaml.js'

const FIXTURES = new URL('../../fixtures/import/', import.meta.url).pathname
const fixture = (name: string) => join(FIXTURES, name)
const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-import-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
function file(text: string, ext = 'txt'): string {
  const f = join(dir, `f${++n}.${ext}`)
  writeFileSync(f, text)
  return f
}
/** The nodes without their `at`, which is checked apart. */
const bare = (nodes: { at: string }[]) => nodes.map(({ at: _at, ...rest }) => rest)

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, 'IMPORT_INVALID')
    assert.match(e.message ?? '', re)
    assert.doesNotMatch(e.message ?? '', /\n/)
    return true
  })
}

describe('conserver.cf import', () => {
  it('maps ipmi and exec consoles, defaults and includes, and notes the rest', () => {
    const f = fixture('conserver.cf')
    const { nodes, notes } = importConserver(f)
    assert.deepEqual(bare(nodes), [
      { name: 'r1n01', bmc: { host: '10.1.0.1', username: 'admin', password: 's3cret pw', privilege: 'administrator', workarounds: ['intel20'] }, console: { method: 'ipmi', logging: 'full' }, groups: ['rack1'] },
      { name: 'r1n02', bmc: { host: '10.1.0.2', username: 'admin', password: 's3cret', kg: '414243', cipherSuite: 17, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'memory' }, groups: ['rack1', 'gpu'] },
      { name: 'r2n01', bmc: { host: '10.2.0.1', username: 'root', password: 'calvin', port: 6230, cipherSuite: 3, privilege: 'operator' }, console: { method: 'ipmi', logging: 'interactive' } },
      { name: 'r2n02', bmc: { host: '10.2.0.2', username: 'ADMIN', password: 'ADMIN', cipherSuite: 17, workarounds: ['authcap'] }, console: { method: 'ipmi', logging: 'full' }, groups: ['rack1'] },
    ])
    assert.deepEqual(nodes.map((x) => x.at), [`${f}:29`, `${f}:37`, `${f}:47`, `${f}:53`])
    const text = notes.join('\n')
    // conserver's intel-session is FreeIPMI's intel20: kept in bmc.workarounds, noted as changing nothing here.
    assert.match(text, new RegExp(`${f}:34: console r1n01: ipmiworkaround: workaround intel20 kept, no effect in bmcvisor`))
    assert.match(text, /console r1n01: conserver logged to \/var\/log\/conserver\/r1n01; bmcvisor logs to consoles\/r1n01\.log/)
    assert.match(text, /ipmiconsole -W: workaround authcap kept, no effect in bmcvisor/)
    assert.match(text, /console switch1: skipped, type host is not an IPMI console/)
    assert.match(text, /console shell1: skipped, its exec command is neither/)
    assert.doesNotMatch(text, /s3cret|calvin|ADMIN /)
  })

  it('follows #include lines and names the included file in errors', () => {
    const inner = file('console bad { type ipmi; }\n', 'cf')
    const outer = file(`default * { }\n#include ${inner}\n`, 'cf')
    rejects(() => importConserver(outer), new RegExp(`^${inner}:1: console bad: type ipmi needs host$`))
  })

  it('names the line of a syntax error or a bad value', () => {
    rejects(() => importConserver(file('console a {\n  type ipmi;\n  host 10.0.0.1\n  password x;\n}\n')), /:3: host "10\.0\.0\.1\\n {2}password x" is not a host name or address \(a missing ";"\?\)$/)
    rejects(() => importConserver(file('console a {\n  type ipmi\n  host 10.0.0.1;\n}\n')), /:2: console a: type "ipmi\\n {2}host 10\.0\.0\.1" is not one of device, ipmi, exec, host, noop, uds \(a missing ";"\?\)$/)
    rejects(() => importConserver(file('console a\n  type ipmi;\n}\n')), /:2: expected "\{" after console "a\\n {2}type ipmi", found ";"$/)
    rejects(() => importConserver(file('console a {\n  type ipmi;\n  host 10.0.0.1;\n  ipmiprivlevel root;\n}\n')), /:4: privilege "root" is not one of /)
    rejects(() => importConserver(file('console a { type ipmi; host h;\n  include nope; }\n')), /:2: include nope: no default block/)
    rejects(() => importConserver(file('console a { type ipmi; host h;\n')), /:1: block console "a" is not closed/)
    rejects(() => importConserver(file('\n\nconsole bad/name { type ipmi; host h; }\n')), /:3: console name "bad\/name" is not a bmcvisor name/)
    rejects(() => importConserver(file('console a {\n type exec;\n exec ipmitool -I lanplus -H h -U u -E sol activate;\n}\n')), /:3: ipmitool -E takes the password from the environment/)
    rejects(() => importConserver(file('console a { type ipmi; host h; password "open\n}\n')), /:1: unterminated "/)
  })

  it('splits exec commands into words as a shell would, without expanding', () => {
    assert.deepEqual(shellWords(`ipmitool -P 'a b' -U "c d" e\\ f $HOME`), ['ipmitool', '-P', 'a b', '-U', 'c d', 'e f', '$HOME'])
  })
})

describe('confluent import', () => {
  it('reads nodeattrib output, dropping --blame notes and masked passwords', () => {
    const f = fixture('confluent-nodeattrib.txt')
    const { nodes, notes } = importConfluent(f)
    assert.deepEqual(bare(nodes), [
      { name: 'r3n01', bmc: { host: '10.3.0.1', username: 'USERID', password: 'Passw0rd' }, console: { method: 'ipmi', logging: 'interactive' }, groups: ['everything', 'rack3'] },
      { name: 'r3n02', bmc: { host: 'fd00::3:2', username: 'USERID' }, console: { method: 'ipmi', logging: 'full' }, groups: ['everything', 'rack3', 'gpu'] },
    ])
    assert.deepEqual(nodes.map((x) => x.at), [`${f}:2`, `${f}:8`])
    assert.deepEqual(notes, [`${f}:14: node r3n03: skipped, no hardwaremanagement.manager`])
  })

  it('reads a JSON export, with values plain or as { value }, encrypted secrets absent', () => {
    const f = fixture('confluent.json')
    const { nodes, notes } = importConfluent(f)
    assert.deepEqual(bare(nodes), [
      { name: 'r4n01', bmc: { host: '10.4.0.1', username: 'admin', password: 'json-pw', kg: '4b47' }, console: { method: 'ipmi', logging: 'full' }, groups: ['everything', 'rack4'] },
      { name: 'r4n02', bmc: { host: '10.4.0.2', username: 'admin' }, console: { method: 'ipmi', logging: 'memory' }, groups: ['everything', 'rack4'] },
    ])
    assert.deepEqual(nodes.map((x) => x.at), [`${f}:3`, `${f}:11`])
    assert.match(notes.join('\n'), /:11: node r4n02: hardwaremanagement.method redfish/)
  })

  it('names the line that is not nodeattrib output', () => {
    rejects(() => importConfluent(file('n1: hardwaremanagement.manager: 10.0.0.1\nthis is not an attribute\n')), /:2: expected "node: attribute: value"/)
    rejects(() => importConfluent(file('n1: hardwaremanagement.manager: 10.0.0.1\nn1: console.logging: loud\n')), /:1: console logging "loud" is not one of/)
  })
})

describe('CSV import', () => {
  it('reads a header and quoted fields', () => {
    const f = fixture('nodes.csv')
    assert.deepEqual(bare(importCsv(f).nodes), [
      { name: 'r5n01', bmc: { host: '10.5.0.1', username: 'admin', password: 'csv-pw', cipherSuite: 17, privilege: 'administrator' }, console: { logging: 'full' }, groups: ['rack5'] },
      { name: 'r5n02', bmc: { host: '10.5.0.2', username: 'operator', password: 'pw,with "quotes"', port: 6231, kg: '0a0b0c', cipherSuite: 3, privilege: 'operator' }, console: { logging: 'memory' }, groups: ['rack5', 'spare'] },
    ])
  })

  it('names the line of a bad record', () => {
    rejects(() => importCsv(file('name,host,username,colour\n')), /:1: unknown column "colour"/)
    rejects(() => importCsv(file('name,host\n')), /:1: no username column/)
    rejects(() => importCsv(file('name,host,username\nn1,h,u\nn2,h\n')), /:3: 2 fields where the header has 3/)
    rejects(() => importCsv(file('name,host,username,port,password\nn1,h,u,1,p\nn2,h,u,99999,"two\nlines"\n')), /:3: port "99999" is not one from 1 to 65535/)
    rejects(() => importCsv(file('name,host,username,cipher\nn1,h,u,0\n')), /:2: cipher suite 0 \(no authentication\) is refused/)
  })
})

describe('YAML import', () => {
  it('names the line of an entry without a name', () => {
    rejects(() => importYaml(file('nodes:\n  - name: a\n    groups: [x]\n  - groups: [y]\n', 'yaml')), /:4: entry has no name$/)
  })
})

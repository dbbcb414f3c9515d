// User management commands: Get/Set User Access, Get/Set User Name, Set User
// Password, Set User Payload Access (IPMI v2.0 §22.26-22.30, §24.6).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PrivilegeLevel } from '../../../../src/ipmi/commands/common.js'
import { GetUserAccess, UserEnableStatus } from '../../../../src/ipmi/commands/get-user-access.js'
import { GetUserName } from '../../../../src/ipmi/commands/get-user-name.js'
import { SetUserAccess } from '../../../../src/ipmi/commands/set-user-access.js'
import { SetUserName } from '../../../../src/ipmi/commands/set-user-name.js'
import { PasswordOperation, SetUserPassword } from '../../../../src/ipmi/commands/set-user-password.js'
import { PayloadAccessOperation, SetUserPayloadAccess } from '../../../../src/ipmi/commands/set-user-payload-access.js'
import { decodeResponse } from '../../../../src/ipmi/command.js'
import { describeCommand } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 capture'
const IPMITOOL = 'ipmitool 1.8.19 -vvvv request'
const ZERO16 = '00'.repeat(16)

describeCommand({
  command: GetUserAccess,
  netFn: 0x06,
  cmd: 0x44,
  minLength: 4,
  encode: [{ name: 'channel 1 user 6', req: { channel: 1, userId: 6 }, hex: '01 06', source: IPMITOOL }],
  rejects: [
    { name: 'user 0', req: { channel: 1, userId: 0 } },
    { name: 'user 64', req: { channel: 1, userId: 64 } },
  ],
  decode: [
    {
      name: 'admin user 2',
      hex: '3f 03 01 14',
      value: {
        maxUserIds: 63,
        enableStatus: UserEnableStatus.Unspecified,
        enabledUserIds: 3,
        fixedNameUserIds: 1,
        callbackOnly: false,
        linkAuthEnabled: false,
        ipmiMessagingEnabled: true,
        privilegeLimit: PrivilegeLevel.Administrator,
      },
      source: SIM,
    },
    {
      name: 'user 5 after disable (messaging cleared)',
      hex: '3f 03 01 02',
      value: {
        maxUserIds: 63,
        enableStatus: UserEnableStatus.Unspecified,
        enabledUserIds: 3,
        fixedNameUserIds: 1,
        callbackOnly: false,
        linkAuthEnabled: false,
        ipmiMessagingEnabled: false,
        privilegeLimit: PrivilegeLevel.User,
      },
      source: SIM,
    },
    {
      name: 'errata-3 status, callback only, link auth, no access',
      hex: '0a 82 02 6f',
      value: {
        maxUserIds: 10,
        enableStatus: UserEnableStatus.Disabled,
        enabledUserIds: 2,
        fixedNameUserIds: 2,
        callbackOnly: true,
        linkAuthEnabled: true,
        ipmiMessagingEnabled: false,
        privilegeLimit: PrivilegeLevel.NoAccess,
      },
      source: 'spec layout',
    },
  ],
})

describeCommand({
  command: SetUserAccess,
  netFn: 0x06,
  cmd: 0x43,
  minLength: 0,
  encode: [
    { name: '`user priv 6 3 1` (privilege only)', req: { channel: 1, userId: 6, privilegeLimit: PrivilegeLevel.Operator, sessionLimit: 0 }, hex: '01 06 03 00', source: IPMITOOL },
    {
      name: '`channel setaccess 1 6 callin=on ipmi=on`, link bit as ipmitool merged it',
      req: { channel: 1, userId: 6, privilegeLimit: PrivilegeLevel.Operator, callbackOnly: false, linkAuth: true, ipmiMessaging: true, sessionLimit: 0 },
      hex: 'b1 06 03 00',
      source: IPMITOOL,
    },
    { name: 'messaging on, operator, no session limit byte', req: { channel: 1, userId: 5, privilegeLimit: PrivilegeLevel.Operator, ipmiMessaging: true }, hex: '91 05 03', source: SIM },
    { name: 'remove access', req: { channel: 14, userId: 3, privilegeLimit: PrivilegeLevel.NoAccess }, hex: '0e 03 0f', source: 'spec layout' },
  ],
  rejects: [{ name: 'session limit 16', req: { channel: 1, userId: 2, privilegeLimit: PrivilegeLevel.User, sessionLimit: 16 } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

describeCommand({
  command: GetUserName,
  netFn: 0x06,
  cmd: 0x46,
  minLength: 16,
  encode: [{ name: 'user 2', req: { userId: 2 }, hex: '02', source: SIM }],
  decode: [
    { name: 'admin', hex: '61 64 6d 69 6e' + ' 00'.repeat(11), value: { name: 'admin' }, source: SIM },
    { name: 'unset slot', hex: ZERO16, value: { name: '' }, source: SIM },
    { name: 'full 16 bytes, no NUL', hex: Buffer.from('sixteen-char-usr').toString('hex'), value: { name: 'sixteen-char-usr' }, source: 'spec layout' },
  ],
})

describeCommand({
  command: SetUserName,
  netFn: 0x06,
  cmd: 0x45,
  minLength: 0,
  encode: [
    { name: '`user set name 6 carol`', req: { userId: 6, name: 'carol' }, hex: '06 63 61 72 6f 6c' + ' 00'.repeat(11), source: IPMITOOL },
    { name: 'exactly 16 bytes', req: { userId: 7, name: 'sixteen-char-usr' }, hex: '07' + Buffer.from('sixteen-char-usr').toString('hex'), source: 'spec layout' },
  ],
  rejects: [
    { name: '17 bytes', req: { userId: 6, name: 'seventeen-chr-usr' } },
    { name: '16 chars but 17 UTF-8 bytes', req: { userId: 6, name: 'é'.padEnd(16, 'x') } },
  ],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

describeCommand({
  command: SetUserPassword,
  netFn: 0x06,
  cmd: 0x47,
  minLength: 0,
  encode: [
    { name: '`user set password 6 secret 16`', req: { userId: 6, operation: PasswordOperation.SetPassword, password: 'secret' }, hex: '06 02 73 65 63 72 65 74' + ' 00'.repeat(10), source: IPMITOOL },
    {
      name: '`user set password 6 averyveryverylongpw1 20` (b7 set)',
      req: { userId: 6, operation: PasswordOperation.SetPassword, password: 'averyveryverylongpw1' },
      hex: '86 02' + Buffer.from('averyveryverylongpw1').toString('hex'),
      source: IPMITOOL,
    },
    { name: 'short password in the 20-byte form', req: { userId: 2, operation: PasswordOperation.TestPassword, password: 'password', size: 20 }, hex: '82 03 70 61 73 73 77 6f 72 64' + ' 00'.repeat(12), source: SIM },
    { name: '`user test 6 16 secret`', req: { userId: 6, operation: PasswordOperation.TestPassword, password: 'secret', size: 16 }, hex: '06 03 73 65 63 72 65 74' + ' 00'.repeat(10), source: IPMITOOL },
    { name: '`user enable 6` (zero password field, as ipmitool)', req: { userId: 6, operation: PasswordOperation.EnableUser }, hex: '06 01' + ZERO16, source: IPMITOOL },
    { name: 'disable', req: { userId: 5, operation: PasswordOperation.DisableUser }, hex: '05 00' + ZERO16, source: 'spec layout' },
  ],
  rejects: [
    { name: 'set without a password', req: { userId: 6, operation: PasswordOperation.SetPassword } },
    { name: '21 bytes', req: { userId: 6, operation: PasswordOperation.SetPassword, password: 'x'.repeat(21) } },
    { name: '17 bytes forced into 16', req: { userId: 6, operation: PasswordOperation.SetPassword, password: 'x'.repeat(17), size: 16 } },
    { name: 'operation 4', req: { userId: 6, operation: 4 as PasswordOperation, password: 'x' } },
  ],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

test('Set User Password test failures carry the command-specific meaning, not the password', () => {
  const req = { userId: 2, operation: PasswordOperation.TestPassword, password: 'hunter2' }
  assert.equal(SetUserPassword.encode(req).length, 18)
  assert.throws(() => decodeResponse(SetUserPassword, 0x80, Buffer.alloc(0)), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'BMC_COMMAND_FAILED')
    assert.match(e.message, /wrong password\)/)
    return true
  })
  assert.throws(() => decodeResponse(SetUserPassword, 0x81, Buffer.alloc(0)), /wrong password size/)
  assert.throws(() => SetUserPassword.encode({ ...req, password: 'x'.repeat(21) }), (e: Error) => !e.message.includes('xxx'))
})

describeCommand({
  command: SetUserPayloadAccess,
  netFn: 0x06,
  cmd: 0x4c,
  minLength: 0,
  encode: [
    { name: '`sol payload enable 1 6`', req: { channel: 1, userId: 6, operation: PayloadAccessOperation.Enable, sol: true }, hex: '01 06 02 00 00 00', source: IPMITOOL },
    { name: 'disable SOL', req: { channel: 1, userId: 6, operation: PayloadAccessOperation.Disable, sol: true }, hex: '01 46 02 00 00 00', source: 'ipmitool lib/ipmi_sol.c layout' },
    { name: 'OEM payloads 0x20 and 0x27', req: { channel: 2, userId: 3, operation: PayloadAccessOperation.Enable, oemPayloads: 0x81 }, hex: '02 03 00 00 81 00', source: 'spec layout' },
  ],
  rejects: [{ name: 'operation 2', req: { channel: 1, userId: 6, operation: 2 as PayloadAccessOperation } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: 'spec layout' }],
})

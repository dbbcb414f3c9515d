/**
 * The system behind a simulated BMC's serial port: what a SOL console shows.
 * It prints a Linux-like boot log at a configured rate (bytes per second),
 * starting over after the last line ("reboot: Restarting system"), and runs
 * a tiny shell so typed bytes are visible: characters are echoed, Enter runs
 * one of a few commands (help, echo, hostname, uname, uptime, whoami, reboot,
 * serial-break, setup) and prints a prompt. `setup` draws a full-screen
 * firmware menu (alternate screen, cursor addressing, colours) and stays
 * quiet, boot log paused, until `q` leaves it.
 * Owns its position in the log, the fractional-byte carry and the line
 * being typed; output goes to the `emit` callback (the SOL outbound queue).
 * No timers: the caller calls tick(now) and input(bytes).
 * Invariant: the boot log text is fixed per host, so a test can predict the
 * exact bytes a console must receive (bootLog + offset).
 */

export interface ConsoleHostOptions {
  /** Shown in the log and the prompt (default "sim"). */
  hostname?: string
  /** Boot log bytes per second (default 256; 0 = quiet, only the shell answers). */
  rateBytesPerSecond?: number
  /** Replaces the generated boot log (tests). */
  bootLog?: string
}

export interface ConsoleHostEvents {
  /** Bytes the system wrote to its serial port. */
  emit(bytes: Buffer): void
  /** The system put a BREAK on its serial line (shell command serial-break). */
  breakDetected?(): void
}

/** At most this much time is made up after a stall, as a serial line would have overrun anyway. */
const MAX_CATCH_UP_MS = 2000

export class ConsoleHost {
  readonly hostname: string
  readonly bootLog: Buffer
  rateBytesPerSecond: number
  /** Next byte of the boot log to print. */
  position = 0
  /** Times the log started over (reboots included). */
  boots = 1
  breaksReceived = 0
  private carry = 0
  private lastTickMs: number | undefined
  private line = ''
  private lastWasCr = false
  private bootedAtMs: number | undefined
  /** In the `setup` menu: the boot log waits and only `q` is read. */
  inMenu = false

  constructor(opts: ConsoleHostOptions, private readonly events: ConsoleHostEvents) {
    this.hostname = opts.hostname ?? 'sim'
    this.rateBytesPerSecond = opts.rateBytesPerSecond ?? 256
    if (!(this.rateBytesPerSecond >= 0)) throw new RangeError('console rate must be >= 0')
    this.bootLog = Buffer.from(opts.bootLog ?? renderBootLog(this.hostname), 'latin1')
    if (this.bootLog.length === 0) throw new RangeError('boot log is empty')
  }

  /** Prints what the rate allows for the time since the last tick. */
  tick(nowMs: number): void {
    this.bootedAtMs ??= nowMs
    const last = this.lastTickMs ?? nowMs
    this.lastTickMs = nowMs
    if (this.rateBytesPerSecond === 0 || this.inMenu) return
    // The carry counts byte-milliseconds, so whole-millisecond ticks add up exactly.
    this.carry += Math.min(MAX_CATCH_UP_MS, Math.max(0, nowMs - last)) * this.rateBytesPerSecond
    const n = Math.floor(this.carry / 1000)
    if (n <= 0) return
    this.carry -= n * 1000
    this.events.emit(this.take(n))
  }

  /** Forget the time base (SOL went inactive): the next tick starts counting again. */
  pause(): void {
    this.lastTickMs = undefined
    this.carry = 0
  }

  /** Power on, cycle or reset: the log starts from its first line. */
  restart(nowMs?: number): void {
    this.position = 0
    this.boots++
    this.line = ''
    this.bootedAtMs = nowMs
  }

  /** A BREAK from the console (SOL operation b4). Linux would wait for a SysRq key; we say so. */
  serialBreak(): void {
    this.breaksReceived++
    this.events.emit(Buffer.from('\r\n[sysrq] BREAK received\r\n', 'latin1'))
  }

  /** Bytes typed on the console. */
  input(bytes: Uint8Array, nowMs = 0): void {
    let echo = ''
    for (const b of bytes) {
      if (this.inMenu) {
        if (b !== 0x71) continue
        this.inMenu = false
        echo += MENU_LEAVE + this.prompt()
        continue
      }
      if (b === 0x0a && this.lastWasCr) {
        this.lastWasCr = false
        continue
      }
      this.lastWasCr = b === 0x0d
      if (b === 0x0d || b === 0x0a) {
        echo += '\r\n' + this.run(this.line.trim(), nowMs)
        this.line = ''
      } else if (b === 0x7f || b === 0x08) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1)
          echo += '\b \b'
        }
      } else if (b === 0x03) {
        this.line = ''
        echo += '^C\r\n' + this.prompt()
      } else if (b >= 0x20 && b < 0x7f && this.line.length < 200) {
        this.line += String.fromCharCode(b)
        echo += String.fromCharCode(b)
      }
    }
    if (echo.length > 0) this.events.emit(Buffer.from(echo, 'latin1'))
  }

  prompt(): string {
    return `root@${this.hostname}:~# `
  }

  private run(cmdline: string, nowMs: number): string {
    const [cmd = '', ...args] = cmdline.split(/\s+/)
    const out = (s: string) => (s.length > 0 ? s + '\r\n' : '') + this.prompt()
    switch (cmd) {
      case '':
        return this.prompt()
      case 'help':
        return out('commands: help echo hostname uname uptime whoami reboot serial-break setup')
      case 'echo':
        return out(args.join(' '))
      case 'hostname':
        return out(this.hostname)
      case 'uname':
        return out(args[0] === '-a' ? `Linux ${this.hostname} 6.1.0-sim #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux` : 'Linux')
      case 'whoami':
        return out('root')
      case 'uptime': {
        const s = Math.max(0, Math.floor((nowMs - (this.bootedAtMs ?? nowMs)) / 1000))
        return out(`up ${Math.floor(s / 60)} min ${s % 60} s, boot ${this.boots}`)
      }
      case 'serial-break':
        this.events.breakDetected?.()
        return out('')
      case 'setup':
        this.inMenu = true
        return renderSetupMenu(this.hostname)
      case 'reboot':
        this.restart(nowMs)
        return 'reboot: Restarting system\r\n'
      default:
        return out(`-sh: ${cmd.slice(0, 40)}: command not found`)
    }
  }

  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = Math.min(n - filled, this.bootLog.length - this.position)
      this.bootLog.copy(out, filled, this.position, this.position + chunk)
      filled += chunk
      this.position += chunk
      if (this.position >= this.bootLog.length) {
        this.position = 0
        this.boots++
      }
    }
    return out
  }
}

/** A boot log in the shape of a small Linux server's serial console, ending in a login and a reboot. */
export function renderBootLog(hostname: string): string {
  const lines: [number, string][] = [
    [0, 'Linux version 6.1.0-sim (bmcvisor@sim) (gcc 12.2.0) #1 SMP PREEMPT_DYNAMIC'],
    [0, 'Command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro console=tty0 console=ttyS1,115200n8'],
    [0, 'BIOS-provided physical RAM map:'],
    [0, 'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable'],
    [0, 'BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable'],
    [0.000001, 'DMI: bmcvisor Simulated Server/SIM-1000, BIOS 1.23 01/01/2024'],
    [0.004211, 'tsc: Detected 2400.000 MHz processor'],
    [0.112345, 'smpboot: Allowing 2 CPUs, 0 hotplug CPUs'],
    [0.203344, 'Memory: 2021444K/2096696K available'],
    [0.245678, 'rcu: Hierarchical RCU implementation.'],
    [0.301234, 'Console: colour VGA+ 80x25'],
    [0.301240, 'printk: console [ttyS1] enabled'],
    [0.412356, 'ACPI: Core revision 20220331'],
    [0.523001, 'PCI: Using configuration type 1 for base access'],
    [0.734512, 'Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled'],
    [0.735010, '00:03: ttyS1 at I/O 0x2f8 (irq = 3, base_baud = 115200) is a 16550A'],
    [0.901223, 'ipmi_si: IPMI System Interface driver'],
    [0.902114, 'ipmi_si IPI0001:00: IPMI kcs interface initialized'],
    [1.023456, 'ahci 0000:00:1f.2: AHCI 0001.0300 32 slots 6 ports 6 Gbps'],
    [1.345678, 'sd 0:0:0:0: [sda] 937703088 512-byte logical blocks: (480 GB/447 GiB)'],
    [1.456789, ' sda: sda1 sda2'],
    [1.602345, 'EXT4-fs (sda1): mounted filesystem with ordered data mode.'],
    [1.845612, `systemd[1]: Set hostname to <${hostname}>.`],
    [2.013456, 'e1000e 0000:00:19.0 eno1: NIC Link is Up 1000 Mbps Full Duplex'],
    [2.401234, 'systemd[1]: Reached target Multi-User System.'],
  ]
  const stamp = (t: number) => `[${t.toFixed(6).padStart(12, ' ')}] `
  const out = lines.map(([t, s]) => stamp(t) + s + '\r\n')
  out.push('\r\n', `Debian GNU/Linux 12 ${hostname} ttyS1\r\n`, '\r\n', `${hostname} login: root (automatic login)\r\n`)
  out.push('Last login: on ttyS1\r\n', `root@${hostname}:~# systemctl reboot\r\n`, '[  OK  ] Stopped target Multi-User System.\r\n')
  out.push('reboot: Restarting system\r\n', '\r\n')
  return out.join('')
}

const ESC = '\x1b'
const at = (row: number, col: number) => `${ESC}[${row};${col}H`
/** Leaves the menu: main screen back, as a full-screen program does on exit. */
const MENU_LEAVE = `${ESC}[0m${ESC}[?1049l`

/** A firmware setup screen for 80x24: alternate screen, blue background, a highlighted item, the cursor parked on it. */
export function renderSetupMenu(hostname: string): string {
  const items = ['Main', 'Advanced', 'Boot', 'Security', 'Save & Exit']
  let s = `${ESC}[?1049h${ESC}[44;37m${ESC}[2J`
  s += `${at(1, 1)}${ESC}[1;33m${' '.repeat(24)}Simulated Firmware Setup Utility${' '.repeat(24)}${ESC}[22;37m`
  s += `${at(3, 4)}System: ${hostname}    BIOS 2.17.1    Memory: 65536 MB`
  items.forEach((item, i) => {
    s += at(6 + i * 2, 8) + (i === 2 ? `${ESC}[7m> ${item.padEnd(20)}${ESC}[27m` : `  ${item.padEnd(20)}`)
  })
  s += `${at(6, 40)}Boot Option #1  [UEFI: PXE IPv4]`
  s += `${at(8, 40)}Boot Option #2  [${ESC}[1;32mNVMe: system disk${ESC}[22;37m]`
  s += `${at(23, 2)}${ESC}[30;47m q: leave setup  arrows: select  Enter: change ${ESC}[44;37m`
  return s + at(10, 10)
}

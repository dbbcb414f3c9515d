/**
 * Protocol plugins: what a protocol must provide so the connection engine
 * can drive it, and the one table that maps a node's console method to its
 * plugin. A plugin owns only its own I/O (confluent's lesson: "a plugin is
 * only responsible for its thread behavior"): it opens, closes and reports
 * through hooks; when to open, retry or give up is the engine's. Adding a
 * protocol is a plugin file and an entry here; the supervisor, the console
 * sessions and the API routes do not change.
 */
import type { BmcConfig, ConfiguredProtocol, ManagementProtocol, TrustKind, WorkerConsoleMethod } from '../../src/bridge/messages.js'
import type { RedfishService } from '../../src/redfish/service.js'
import { DEFAULT_RECONNECT } from '../../src/bridge/reconnect.js'
import type { CommandRunner } from '../../src/bmc/runner.js'
import type { WireError } from '../../src/errors.js'
import type { IpmiClient } from '../../src/session/client.js'
import type { LearnedEntry, LearnedProfile } from '../../src/session/profile.js'
import type { OpContext } from '../../src/ops/types.js'
import type { InputSink } from '../console-input.js'
import { autoManagement } from './auto-plugin.js'
import { execPlugin, execTraits } from './exec-plugin.js'
import { ipmiManagement } from './ipmi-plugin.js'
import { redfishManagement } from './redfish-plugin.js'
import { solPlugin, solTraits } from './sol-plugin.js'
import { sshPlugin, sshTraits } from './ssh-plugin.js'
import type { ConsoleTraits, EngineConfig } from './types.js'

/** The management side of a BMC (IPMI or Redfish): login, commands, keepalive. */
export interface ManagementPlugin {
  readonly protocol: ManagementProtocol
  /** The Redfish service ops run on (Redfish nodes). */
  readonly redfish?: RedfishService | undefined
  /** Logs in; resolves once the session is established, rejects with the reason otherwise. */
  connect(): Promise<void>
  /** Runs IPMI commands on the current session, each within what is left of the caller's deadline (IPMI nodes). */
  runner(remainingMs: () => number): CommandRunner
  readonly opContext: OpContext
  /** What the session info control reports (null without a session). */
  info(): unknown
  readonly hasSession: boolean
  /** Retransmits, dropped packets and relaxed checks since the last call (for the stats message). */
  takeCounters(): ManagementCounters
  close(): Promise<void>
  /** The IPMI session's client, when the management protocol is IPMI (SOL rides on it). */
  readonly ipmi?: IpmiClient | undefined
}

export interface ManagementCounters {
  retransmits: number
  droppedPackets: number
  relaxedChecks: number
}

export interface ManagementHooks {
  /** An established session ended (error: why; none for an orderly close). */
  lost(error?: WireError): void
  /** Trust on first use: the plugin trusted what the BMC showed (a TLS certificate) and names it. */
  trustLearned?(what: TrustKind, fingerprint: string): void
  /** The client learned something about the BMC (`entry` when it is a new name); `profile` is all it knows now. */
  learned(profile: LearnedProfile, entry: LearnedEntry | undefined): void
}

/** One console protocol (IPMI SOL, exec, SSH): one open() is one attempt. */
export interface ConsolePlugin extends ConsoleTraits {
  /** Starts an attempt; its outcome comes through its own hooks (up, then failed or closed), so a late event names its attempt. */
  open(hooks: ConsoleHooks): void
  /** Ends the current attempt; `closed` follows (or `failed` if it was failing anyway). */
  close(): Promise<void>
  /** The plugin's own state word, for session info and leak checks. */
  readonly state: string
  /** Where console input goes now, if anywhere. */
  sink(): InputSink | undefined
  sendBreak(): void
}

export interface ConsoleHooks {
  up(): void
  failed(error: WireError): void
  closed(): void
  data(chunk: Buffer): void
  /** Console input moved on: what the console still holds. */
  progress(backlog: number): void
}

export interface PluginContext {
  bmc: string
  config: BmcConfig
  management: ManagementPlugin
  /** Trust on first use: no pin was configured and the plugin trusted this (bridge TrustLearned). */
  trust(what: TrustKind, fingerprint: string): void
}

interface ConsoleEntry {
  traits(config: BmcConfig): ConsoleTraits
  create(ctx: PluginContext): ConsolePlugin
}

export type ConsoleMethod = WorkerConsoleMethod

/** Every console method, once. */
export const CONSOLE_PLUGINS: Record<ConsoleMethod, ConsoleEntry> = {
  ipmi: { traits: solTraits, create: solPlugin },
  exec: { traits: execTraits, create: execPlugin },
  ssh: { traits: sshTraits, create: sshPlugin },
}

export function consoleMethod(config: BmcConfig): ConsoleMethod {
  return config.consoleMethod ?? 'ipmi'
}

/** Every management protocol a node may configure, once (auto probes, then is one of the others). */
const MANAGEMENT_PLUGINS: Record<ConfiguredProtocol, (config: BmcConfig, hooks: ManagementHooks) => ManagementPlugin> = {
  ipmi: ipmiManagement,
  redfish: redfishManagement,
  auto: autoManagement,
}

export function createManagement(config: BmcConfig, hooks: ManagementHooks): ManagementPlugin {
  return MANAGEMENT_PLUGINS[config.protocol ?? 'ipmi'](config, hooks)
}

export function createConsole(ctx: PluginContext): ConsolePlugin | undefined {
  if (!ctx.config.console) return undefined
  return CONSOLE_PLUGINS[consoleMethod(ctx.config)].create(ctx)
}

/** What the engine needs to know of a configuration: the console's traits, demand mode, back-off. */
export function engineConfig(config: BmcConfig): EngineConfig {
  return {
    console: config.console ? CONSOLE_PLUGINS[consoleMethod(config)].traits(config) : undefined,
    onDemand: config.consoleOnDemand ?? false,
    reconnect: config.reconnect ?? DEFAULT_RECONNECT,
  }
}

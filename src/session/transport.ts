/**
 * The one seam between the session engine and the network: datagrams out,
 * datagrams in. udp-transport.ts is the only implementation that touches
 * node:dgram; tests use in-memory pairs.
 */
export interface PacketTransport {
  send(datagram: Buffer): void
  /** Replaces the inbound handler. */
  onPacket(handler: (datagram: Buffer) => void): void
  close(): void
}

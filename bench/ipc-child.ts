// The child side of a benchmark's helper process (child_process.fork): its
// messages handled as they come, a failure sent back to the parent as
// { type: 'error', message }, and an exit when the parent goes away.

/** Runs `handle` for every message from the parent; a rejection goes back as an error message. */
export function serveParent<T>(handle: (m: T) => Promise<void>): void {
  process.on('message', (m: T) => {
    handle(m).catch((e: unknown) => process.send?.({ type: 'error', message: e instanceof Error ? e.message : String(e) }))
  })
  process.on('disconnect', () => process.exit(0))
}

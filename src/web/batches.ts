// Splitting a long selection into noderange expressions the API takes. No DOM
// here, so the unit tests import it (test/unit/web/batches.test.ts).

/** The server's limit is 4096 characters (src/api/noderange.ts MAX_EXPR_CHARS); stay under it. */
export const MAX_BATCH_CHARS = 4000

/** Node names joined by commas, each list at most `max` characters; a name is never split. */
export function batches(nodes: readonly string[], max = MAX_BATCH_CHARS): string[] {
  const out: string[] = []
  let cur = ''
  for (const n of nodes) {
    if (cur !== '' && cur.length + 1 + n.length > max) {
      out.push(cur)
      cur = ''
    }
    cur = cur === '' ? n : `${cur},${n}`
  }
  if (cur !== '') out.push(cur)
  return out
}

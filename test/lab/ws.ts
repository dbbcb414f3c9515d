// Opening a console WebSocket in tests that count who gets in.
import WebSocket from 'ws'

/** Opens a socket; resolves with it, with the HTTP status that refused it, or with the error's code (a reset). */
export function attemptWebSocket(url: string, token: string): Promise<WebSocket | number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (req, res) => {
      res.resume()
      req.destroy()
      resolve(res.statusCode ?? 0)
    })
    ws.once('error', (e) => resolve((e as { code?: string }).code ?? e.message))
  })
}

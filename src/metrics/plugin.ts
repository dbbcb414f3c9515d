/**
 * GET /metrics as a fastify plugin: the main thread's one registry in the
 * Prometheus text format. buildApp() takes it from the composition root
 * (`plugins` option); it registers no hooks, so the app's own auth policy
 * decides whether scrapes need a token (Prometheus usually scrapes without).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

export interface MetricsPluginOptions {
  registry: Registry
  /** Route path (default /metrics). */
  path?: string
}

export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, opts) => {
  app.get(opts.path ?? '/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await opts.registry.metrics()
    return reply.header('content-type', opts.registry.contentType).header('cache-control', 'no-store').send(body)
  })
}

/** The plugin bound to a registry, for buildApp's `metrics` option (which takes a plugin without options). */
export function metricsRoute(registry: Registry, path = '/metrics'): FastifyPluginAsync {
  return async (app) => app.register(metricsPlugin, { registry, path })
}

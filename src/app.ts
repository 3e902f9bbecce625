import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import helmet from 'helmet';
import { registerAuthHook } from './modules/identity/index.js';
import { MODULES } from './modules.js';
import { AppError } from './shared/errors.js';
import type { AuthLevel } from './shared/http/auth.js';
import { registerErrorHandling } from './shared/http/errors.js';
import { newId } from './shared/ids.js';
import type { AppDeps, LeadwerkModule } from './shared/module.js';

export const VERSION = '0.1.0';

/** The folder with package.json, found from this file whether it runs from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found');
    dir = parent;
  }
  return dir;
}

export interface BuildAppOptions {
  modules?: LeadwerkModule[];
  /** Where the built admin UI lives (default: dist/web in the package). */
  webRoot?: string;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Builds the HTTP application: plugins, the auth hook, every module's routes, the OpenAPI
 * document, the admin UI. It never listens; main.ts does, and tests use app.inject().
 */
export async function buildApp(deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1_048_576,
    requestIdHeader: false,
    // A request id from the proxy is kept (one id across systems); otherwise we make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : newId();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While shutting down, answers close their keep-alive connection so the server can drain.
  app.addHook('onSend', async (_request, reply) => {
    if (deps.lifecycle.shuttingDown) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'not-found';
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  registerErrorHandling(app);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 262_144 });
  // Security headers. helmet() is built once here: @fastify/helmet calls helmet(options) again on
  // every request, re-validating the whole CSP each time (about 7% of an API request's CPU).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        // Only behind HTTPS: on plain http://localhost it would break every asset.
        upgradeInsecureRequests: deps.config.publicUrl.startsWith('https://') ? [] : null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Leadwerk API',
        version: VERSION,
        description:
          'REST API of Leadwerk. Authenticate with an API key (`Authorization: Bearer lw_…`, created under ' +
          'Settings → API keys or with `leadwerk apikey create`) or with the session cookie of the admin UI ' +
          '(then send `x-csrf-token` on every change and `x-workspace-id` to choose the workspace). ' +
          'Errors are `{ "error": { "code", "message", "details", "requestId" } }` with stable codes.',
      },
      servers: [{ url: deps.config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: lw_<prefix>_<secret>' },
          session: { type: 'apiKey', in: 'cookie', name: 'lw_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    hideUntagged: true,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/v1/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
  });
  app.get('/api/v1/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  // Workspace-scoped routes document the workspace header and the error envelope.
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { auth?: AuthLevel };
    if (!route.url.startsWith('/api/v1/') || !route.schema || route.url.startsWith('/api/v1/docs')) return;
    const schema = route.schema as Record<string, unknown>;
    if ((config.auth ?? 'workspace') === 'workspace' && !schema.headers) {
      schema.headers = Type.Object({
        'x-workspace-id': Type.Optional(
          Type.String({
            description: 'The workspace (session callers only; an API key implies its workspace)',
          }),
        ),
      });
    }
    const response = (schema.response ?? {}) as Record<string, unknown>;
    response['4xx'] ??= { $ref: 'ErrorBody#' };
    response['5xx'] ??= { $ref: 'ErrorBody#' };
    schema.response = response;
  });

  registerAuthHook(app, deps);
  for (const module of options.modules ?? MODULES) {
    await module.routes?.(app, deps);
  }

  await registerAdminUi(app, options.webRoot ?? join(packageRoot(), 'dist', 'web'));
  return app;
}

async function registerAdminUi(app: FastifyInstance, webRoot: string): Promise<void> {
  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.redirect('/app/'),
  );
  app.get('/app', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.redirect('/app/'),
  );
  if (!existsSync(join(webRoot, 'index.html'))) {
    app.get('/app/*', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="en"><title>Leadwerk</title><main><h1>Admin UI not built</h1>' +
            '<p>Run <code>npm run build:web</code>. / Die Oberfläche ist nicht gebaut: <code>npm run build:web</code>.</p></main></html>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/app/',
    wildcard: false,
    index: false,
    cacheControl: false,
    // Built assets carry a content hash in their names: they never change, so browsers keep them.
    setHeaders: (res, path) => {
      if (path.includes('/assets/')) res.header('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  const sendIndex = async (_req: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/app/', { config: { auth: 'public' }, schema: { hide: true } }, sendIndex);
  // Client-side routes of the single-page app; unknown asset files are a real 404.
  app.get('/app/*', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (/\.[a-z0-9]{1,8}$/i.test(request.url.split('?')[0] ?? '')) throw new AppError('ROUTE_NOT_FOUND');
    return sendIndex(request, reply);
  });
}

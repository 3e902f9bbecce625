import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, errorMessage, localeFromHeader } from '../errors.js';

/** The error body every route documents: `{ error: { code, message, details, requestId } }`. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
      requestId: Type.String(),
    }),
  },
  { $id: 'ErrorBody' },
);

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
};

// Errors from node-postgres and PGlite that mean "the database is not there right now".
const DB_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (typeof e.code === 'string' && DB_DOWN.has(e.code)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      e.message ?? '',
    )
  );
}

interface ValidationIssue {
  instancePath?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
  message?: string;
}

function fieldOf(issue: ValidationIssue): string {
  const base = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  return [base, extra].filter(Boolean).join('.');
}

/** Sends the error envelope with a message in the reader's language. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  details?: unknown,
  status?: number,
): FastifyReply {
  const locale = localeFromHeader(request.headers['accept-language']);
  const body = {
    error: {
      code,
      message: errorMessage(code, locale),
      ...(details === undefined ? {} : { details }),
      requestId: String(request.id),
    },
  };
  return reply.code(status ?? new AppError(code).status).send(body);
}

/** One error handler for the whole app: every failure leaves as the documented envelope. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorBody);

  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      if (err.code === 'RATE_LIMITED' && typeof err.details?.retryAfterSeconds === 'number') {
        reply.header('retry-after', String(err.details.retryAfterSeconds));
      }
      if (err.status >= 500) request.log.error({ err, event: 'http.error' }, err.message);
      return sendError(request, reply, err.code, err.details);
    }
    const fe = err as FastifyError & { validation?: ValidationIssue[] };
    if (fe.validation) {
      const fields = fe.validation.map((v) => ({ field: fieldOf(v), message: v.message ?? 'invalid' }));
      return sendError(request, reply, 'VALIDATION_FAILED', { fields });
    }
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (mapped) return sendError(request, reply, mapped, { reason: fe.message });
    if (isDatabaseDown(err)) {
      request.log.error({ err, event: 'http.database-unavailable' }, 'database unavailable');
      reply.header('retry-after', '5');
      return sendError(request, reply, 'DATABASE_UNAVAILABLE');
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(
        request,
        reply,
        fe.statusCode === 405 ? 'METHOD_NOT_ALLOWED' : 'BAD_REQUEST',
        undefined,
        fe.statusCode,
      );
    }
    request.log.error({ err, event: 'http.unhandled-error' }, 'unhandled error');
    return sendError(request, reply, 'INTERNAL');
  });

  app.setNotFoundHandler((request, reply) => sendError(request, reply, 'ROUTE_NOT_FOUND'));
}

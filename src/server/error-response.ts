import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InterlockError, isInterlockError, type ErrorData } from '../errors/interlock-error.js';

export const API_SCHEMA_VERSION = 1;

/** The body of every error answer. */
export function errorBody(error: ErrorData, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaVersion: API_SCHEMA_VERSION, ...extra, error };
}

/** Maps framework errors to catalogue codes, so clients only ever see stable codes. */
export function toInterlockError(error: FastifyError | Error): InterlockError {
  if (isInterlockError(error)) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const first = fastifyError.validation[0];
    const where = first === undefined ? '' : `${first.instancePath || '(body)'} `;
    return new InterlockError('REQUEST_INVALID', `request does not match the API schema: ${where}${first?.message ?? 'invalid'}`.trim());
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new InterlockError('BODY_TOO_LARGE', 'request body exceeds the configured limit');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InterlockError('BODY_MALFORMED', 'request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InterlockError('REQUEST_INVALID', 'request body must be application/json');
    default:
      break;
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    // Includes prototype-poisoning payloads, which the JSON parser refuses.
    return new InterlockError('BODY_MALFORMED', 'request body is not valid JSON');
  }
  return new InterlockError('INTERNAL', 'internal error');
}

export function sendError(reply: FastifyReply, error: InterlockError, extra: Record<string, unknown> = {}): FastifyReply {
  const data = error.toData();
  if (data.code === 'RATE_LIMITED' && typeof data.details?.['retryAfterMs'] === 'number') {
    void reply.header('retry-after', Math.max(1, Math.ceil(data.details['retryAfterMs'] / 1000)));
  }
  return reply.code(data.status).send(errorBody(data, extra));
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toInterlockError(error);
  if (mapped.code === 'INTERNAL') request.log.error({ errorName: error.name, errorCode: (error as FastifyError).code }, 'unexpected error');
  return sendError(reply, mapped);
}

/** Extracts the bearer token, or throws AUTH_MISSING. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.length === 0)
    throw new InterlockError('AUTH_MISSING', 'missing "Authorization: Bearer <token>" header');
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (match === null || match[1] === undefined) throw new InterlockError('AUTH_INVALID', 'Authorization header must be "Bearer <token>"');
  return match[1];
}

import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE, statusOf, titleOf } from './problem.ts';

/**
 * What node's HTTP parser refuses before fastify sees a request (a slow client's timeout, headers
 * over the size limit, bytes that are not HTTP), answered as problem+json on the raw socket, which is then closed.
 */
export function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['REQUEST_TIMEOUT', 'The request was not received in time (api.headersTimeoutMs for the headers, api.requestTimeoutMs for the whole request).']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['HEADERS_TOO_LARGE', 'The request line and headers are over the size limit (16 KiB).']
        : ['REQUEST_INVALID', `The request is not valid HTTP (${err.code ?? 'parse error'}).`];
  const body = JSON.stringify(problem(code, detail, ''));
  const status = statusOf(code);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${titleOf(status)}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** The router's refusals, before any route: a URL that does not decode, a path segment over maxParamLength (100). */
export function routerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const [code, detail] =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? ['PATH_PARAM_TOO_LONG', 'A path segment is over 100 characters: no id or name of this API is that long.']
      : ['REQUEST_INVALID', `The URL is not valid: ${err.message}`];
  return reply.code(statusOf(code)).type(PROBLEM_CONTENT_TYPE).send(problem(code, detail, req.url.split('?')[0]));
}

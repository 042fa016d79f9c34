// Structured JSON logs (pino). Tokens never reach a log line: the Authorization header is redacted.
// Every line written while a request (or a WebSocket connection) is handled carries its
// `requestId` (src/request-id.ts), the id returned in the X-Request-Id header.
import { pino, type DestinationStream, type Logger } from 'pino';
import { requestLogFields } from './request-id';

export type { Logger };

/** `destination` defaults to stdout (tests pass a stream to read the lines). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'mdr-incident-service' },
    redact: ['req.headers.authorization', 'authorization', 'token', 'connectionParams.authorization'],
    mixin: requestLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

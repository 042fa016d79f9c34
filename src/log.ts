// Structured JSON logs (pino). Tokens never reach a log line: the Authorization header is redacted.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'mdr-incident-service' },
    redact: ['req.headers.authorization', 'authorization', 'token', 'connectionParams.authorization'],
  });
}

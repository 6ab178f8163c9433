import pino, { type Logger } from 'pino';

/**
 * Field names whose values are never logged. Connectors log request metadata; a header or an options
 * object carrying a credential must not reach a log file even by accident.
 */
export const redactedPaths = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'privateKey',
  '*.privateKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'credentials',
  '*.credentials',
  'key',
  '*.key',
  'apiToken',
  '*.apiToken',
  'personalAccessToken',
  '*.personalAccessToken',
  'privateKeyPem',
  '*.privateKeyPem',
  'secretAccessKey',
  '*.secretAccessKey',
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'evidence-hub',
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { pid: process.pid },
    },
    // Logs go to stderr so command output on stdout (tables, --json) stays machine-readable.
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

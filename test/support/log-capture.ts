import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../worker/logger';
import { installTemporalLogging } from '../../worker/worker';

/**
 * A logger whose every line (at trace level) is kept in memory, installed as the Temporal SDK's logger
 * too. Import this module before test/support/hub-fixture.ts, which would otherwise install its quiet
 * logger first (the SDK runtime takes one logger per process).
 */
let text = '';
const sink = new Writable({
  write(chunk, _enc, done) {
    text += chunk.toString();
    done();
  },
});

export const capturedLog: Logger = createLogger({ level: 'trace', name: 'evidence-hub' }, sink);
installTemporalLogging(capturedLog);

/** Everything logged so far, by our code and by the SDK, as pino JSON lines. */
export function capturedText(): string {
  return text;
}

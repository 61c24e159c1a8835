import { pino, type Logger, type LevelWithSilent } from 'pino';

/** Scrubs a log line before it is written; supplied by the redaction module. */
export type LineScrubber = (line: string) => string;

/**
 * JSON logs on stdout (or a given stream). Every line passes the scrubber, so a secret that slips
 * into a message or field is removed before it reaches any sink.
 */
export function createLogger(level: LevelWithSilent, scrub: LineScrubber, destination: NodeJS.WritableStream = process.stdout): Logger {
  const stream = {
    write(line: string): void {
      destination.write(scrub(line));
    },
  };
  return pino({ level, base: { service: 'interlock' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

import pino, { type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from './index';

/** Personal data and secrets never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'nik',
  '*.nik',
  '*.*.nik',
  '*.name',
  'fullName',
  '*.fullName',
  'birthDate',
  '*.birthDate',
];

export function loggerOptions(config: Pick<AppConfig, 'logLevel' | 'production'>, name: string): LoggerOptions {
  return {
    name,
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(config.production || process.env.LOG_FORMAT === 'json'
      ? {}
      : {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }),
  };
}

export function createLogger(config: Pick<AppConfig, 'logLevel' | 'production'>, name: string): Logger {
  return pino(loggerOptions(config, name));
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the SQLite write-ahead log into the database file from a worker thread with its own
 * connection. Left to the writing connection, that copy (and its fsync) runs inside some unlucky
 * call's commit and stalls the event loop for milliseconds; here it runs beside the writers.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const connection = new Database(workerData.path, { timeout: 5000 });
connection.pragma('busy_timeout = 5000');
connection.pragma('synchronous = ' + workerData.synchronous);
const checkpoint = () => {
  try {
    connection.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ failed: String((error && error.code) || 'error') });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  connection.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  readonly path: string;
  readonly durable: boolean;
  readonly intervalMs?: number;
}

export class SqliteCheckpointer {
  readonly #worker: Worker;
  #stopped: Promise<void> | null = null;

  constructor(options: CheckpointerOptions) {
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driverPath,
        path: options.path,
        synchronous: options.durable ? 'FULL' : 'NORMAL',
        intervalMs: options.intervalMs ?? 200,
      },
    });
    // A failed checkpoint only means the log grows until the next one; the writer's own safety
    // net (a large wal_autocheckpoint) bounds it.
    this.#worker.on('error', () => undefined);
    this.#worker.unref();
  }

  /** Runs a last checkpoint and ends the worker. */
  stop(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        void this.#worker.terminate().finally(resolve);
      }, 5000);
      this.#worker.once('exit', () => {
        clearTimeout(timeout);
        resolve();
      });
      this.#worker.postMessage('close');
    });
    return this.#stopped;
  }
}

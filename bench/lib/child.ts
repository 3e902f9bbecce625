import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onInterrupt } from './common.js';

/*
 * Bench children: each server or load role runs in its own Node process (the machine has two
 * cores; a server and its load generator must not share an event loop). Parent and child talk
 * over the IPC channel: the child announces `ready`, then answers numbered requests. A child exits
 * when its parent goes away, so an interrupted bench leaves nothing running.
 */

const LIB_DIR = dirname(fileURLToPath(import.meta.url));

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

type Message = { type: 'ready'; info: unknown } | ({ type: 'reply' } & Reply);

export class Child<Ready = unknown> {
  readonly process: ChildProcess;
  readonly ready: Promise<Ready>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited = false;
  private readonly exitPromise: Promise<void>;

  /**
   * Forks `bench/lib/<script>` under tsx with `args`; `execArgv` adds Node flags (e.g. --cpu-prof);
   * the child's stdout (its logs) goes to the file descriptor `stdout`, or nowhere.
   */
  constructor(
    readonly label: string,
    script: string,
    args: string[] = [],
    options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; stdout?: number } = {},
  ) {
    this.process = fork(join(LIB_DIR, script), args, {
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      stdio: ['ignore', options.stdout ?? 'ignore', 'inherit', 'ipc'],
      env: options.env ?? process.env,
    });
    let onReady: (v: Ready) => void;
    let onFail: (e: Error) => void;
    this.ready = new Promise<Ready>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.process.on('message', (raw) => {
      const msg = raw as Message;
      if (msg.type === 'ready') onReady(msg.info as Ready);
      else {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.result);
        else p?.reject(new Error(`${label}: ${msg.error}`));
      }
    });
    // An interrupted bench kills its children (this one, by pid).
    const forget = onInterrupt(() => {
      if (!this.exited) this.process.kill('SIGKILL');
    });
    this.exitPromise = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exited = true;
        forget();
        const err = new Error(`${label} exited (code ${code}, signal ${signal})`);
        onFail(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  call<R = unknown>(cmd: string, arg?: unknown, timeoutMs = 300_000): Promise<R> {
    if (this.exited) return Promise.reject(new Error(`${this.label} is not running`));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.process.send({ id, cmd, arg });
    });
  }

  /** Asks the child to shut down cleanly; kills it (this child only, by pid) if it takes too long. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.call('shutdown', undefined, timeoutMs).catch(() => {});
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

type Handler = (arg: never) => Promise<unknown> | unknown;

/**
 * Child side: answers requests with `handlers`, announces `info` as ready. `shutdown` runs
 * `onShutdown` and exits; losing the parent exits at once.
 */
export function serveParent(
  info: unknown,
  handlers: Record<string, Handler>,
  onShutdown: () => Promise<void> = async () => {},
): void {
  const send = (msg: Message) => process.send?.(msg);
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (raw) => {
    const { id, cmd, arg } = raw as { id: number; cmd: string; arg: never };
    if (cmd === 'shutdown') {
      await onShutdown().catch((err) => console.error(err));
      send({ type: 'reply', id, ok: true });
      process.exit(0);
    }
    const handler = handlers[cmd];
    try {
      if (!handler) throw new Error(`unknown command ${cmd}`);
      send({ type: 'reply', id, ok: true, result: await handler(arg) });
    } catch (err) {
      send({
        type: 'reply',
        id,
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
  });
  send({ type: 'ready', info });
}

/** For a child's top level: report a failed setup and exit non-zero. */
export function failChild(err: unknown): never {
  console.error(err);
  process.exit(1);
}

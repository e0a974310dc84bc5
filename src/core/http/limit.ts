/** At most N tasks at once; the rest wait in order. A waiting task leaves the queue when its signal aborts. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {}

  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(limiterCancelled());
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(go);
        if (i >= 0) this.queue.splice(i, 1);
        reject(limiterCancelled());
      };
      this.queue.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function limiterCancelled(): Error {
  const e = new Error('cancelled while waiting for a slot');
  e.name = 'LimiterCancelled';
  return e;
}

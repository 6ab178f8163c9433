/**
 * Runs an async generator ahead of its consumer, buffering what it yields (up to `highWater` items,
 * then it waits). Errors are kept and rethrown by `drain`, never left unhandled.
 */
export class Prefetch<T, R> {
  private readonly items: T[] = [];
  private finished = false;
  private failed = false;
  private error: unknown;
  private result: R | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private cancelled = false;

  constructor(
    gen: AsyncGenerator<T, R>,
    private readonly highWater = 500,
  ) {
    // Fire-and-forget on purpose: pump() catches every error and keeps it for drain() to rethrow.
    void this.pump(gen);
  }

  private async pump(gen: AsyncGenerator<T, R>): Promise<void> {
    try {
      for (let r = await gen.next(); ; r = await gen.next()) {
        if (r.done) {
          this.result = r.value;
          break;
        }
        this.items.push(r.value);
        this.notify();
        if (this.items.length >= this.highWater) await new Promise<void>((resolve) => (this.wakeProducer = resolve));
        if (this.cancelled) {
          await gen.return(undefined as R);
          break;
        }
      }
    } catch (err) {
      this.failed = true;
      this.error = err;
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  /** The consumer is gone: stop producing. */
  cancel(): void {
    this.cancelled = true;
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }

  private notify(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  async *drain(signal: AbortSignal): AsyncGenerator<T, R> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        const wake = this.wakeProducer;
        this.wakeProducer = undefined;
        wake?.();
        yield item;
        continue;
      }
      if (this.finished) {
        if (this.failed) throw this.error;
        return this.result as R;
      }
      signal.throwIfAborted();
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }
}

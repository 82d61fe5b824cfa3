/**
 * A minimal typed event emitter. `emit` takes at most three arguments instead of a rest
 * parameter, because rest arguments allocate an array on every call in XS. A listener that
 * throws does not stop the others: the throw goes to `listenerThrew`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (a?: any, b?: any, c?: any) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Listener[]>();

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
    return this;
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.listeners.get(event);
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list!.splice(i, 1);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((a?: unknown, b?: unknown, c?: unknown) => {
      this.off(event, wrapper as Events[E]);
      listener(a, b, c);
    }) as Events[E];
    return this.on(event, wrapper);
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit(event: keyof Events, a?: unknown, b?: unknown, c?: unknown): boolean {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!(a, b, c);
      } catch (e) {
        this.listenerThrew(event, e);
      }
    }
    return true;
  }

  /** A listener of `event` threw `error`. By default the throw goes on to the emitter's caller. */
  protected listenerThrew(_event: keyof Events, error: unknown): void {
    throw error;
  }
}

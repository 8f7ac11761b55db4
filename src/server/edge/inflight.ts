/** Counts open requests (and upgraded connections) per target key so an old target can be drained. */
export class InflightCounter {
  readonly #counts = new Map<string, number>();

  enter(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  leave(key: string): void {
    const count = (this.#counts.get(key) ?? 0) - 1;
    if (count > 0) this.#counts.set(key, count);
    else this.#counts.delete(key);
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}

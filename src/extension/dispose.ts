/**
 * Ownership of disposables: a class that holds resources extends `Disposable` and registers each one
 * as it makes it, so disposing the owner disposes them all, once, newest first.
 */
import type * as vscode from 'vscode';

/** Disposes each of `ds`; one that throws does not stop the others (the first error is rethrown after). */
export function disposeAll(ds: Iterable<vscode.Disposable>): void {
  let first: unknown;
  let failed = false;
  for (const d of ds) {
    try {
      d.dispose();
    } catch (e) {
      if (!failed) first = e;
      failed = true;
    }
  }
  if (failed) throw first;
}

export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  /** Takes `d` to dispose with this object; one registered after disposal is disposed at once. */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  /** Disposes what was registered, newest first; later calls do nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const owned = this.owned.splice(0).reverse();
    disposeAll(owned);
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }
}

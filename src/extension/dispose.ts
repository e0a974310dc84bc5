/**
 * A base for objects that own VS Code disposables: register each one as it is made, and dispose()
 * releases them all once, the last registered first.
 */
import type * as vscode from 'vscode';

/** Disposes each of `ds`, the last first; one that throws does not stop the others. */
export function disposeAll(ds: Iterable<vscode.Disposable>): void {
  const list = [...ds];
  const errors: unknown[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    try {
      list[i].dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Several disposables failed to dispose');
}

export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  /** Owns `d`: disposed with this object (at once when this one is already disposed). */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  /** Releases what was registered, the last first; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const owned = this.owned.splice(0);
    disposeAll(owned);
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }
}

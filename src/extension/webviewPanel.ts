/**
 * The base of every webview panel: the HTML shell with a strict CSP and a nonce, the `ready`
 * handshake, the view's state kept while the webview cannot take it (not ready yet, or hidden:
 * VS Code drops messages to hidden webviews) and re-sent when it can, zod checks both ways (what
 * arrives is parsed with the view's own schema; what leaves is typed and parsed before it goes), and
 * disposal with the panel.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { z } from 'zod';
import { Disposable } from './dispose';

/** The HTML shell of every webview: a strict CSP with a nonce, and the bundled script and style. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css'));
  // The chart library's stylesheet (copied from uplot by scripts/build.mjs), before ours so that ours wins.
  const chartStyle = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'uplot.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${chartStyle}">
<link rel="stylesheet" href="${style}">
<title>${escapeAttr(title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The options of a panel whose webview loads only from media/ (and `roots`). */
export function panelOptions(
  extensionUri: vscode.Uri,
  roots: readonly vscode.Uri[] = [],
): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), ...roots],
  };
}

/** A view's protocol: what its webview may send (the `ready` message among it) and what it is sent. */
export interface ViewProtocol<In extends { type: string }, Out extends { type: string }> {
  /** In words, for the log: "the trace view". */
  name: string;
  incoming: z.ZodType<In>;
  outgoing: z.ZodType<Out>;
}

/** A kept message, or how to make it when it is sent (for state that is costly to compute). */
type Kept<Out> = Out | (() => Out | undefined);

export abstract class WebviewPanel<In extends { type: string }, Out extends { type: string }> extends Disposable {
  private ready = false;
  /** The view's state as messages, each under its key, re-sent in the order the keys were first set. */
  private readonly kept = new Map<string, Kept<Out>>();

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    title: string,
    private readonly protocol: ViewProtocol<In, Out>,
  ) {
    super();
    panel.webview.html = webviewHtml(panel.webview, extensionUri, title);
    this._register(panel.webview.onDidReceiveMessage((raw) => void this.arrive(raw)));
    this._register(panel.onDidChangeViewState(() => panel.visible && this.flush()));
    this._register(panel.onDidDispose(() => this.dispose()));
  }

  /** A message of this view's webview, checked (never `ready`: the base answers that). */
  protected abstract receive(message: Exclude<In, { type: 'ready' }>): void | Promise<void>;

  private async arrive(raw: unknown): Promise<void> {
    const parsed = this.protocol.incoming.safeParse(raw);
    if (!parsed.success) {
      console.warn(`ST-Think: dropped an invalid message from ${this.protocol.name}`, parsed.error.issues[0]);
      return;
    }
    const m = parsed.data;
    if (m.type === 'ready') {
      this.ready = true;
      this.flush();
    } else await this.receive(m as Exclude<In, { type: 'ready' }>);
  }

  /** A message as if the view's webview had sent it, checked the same way (for tests). */
  deliver(raw: unknown): Promise<void> {
    return this.arrive(raw);
  }

  /** Whether a message sent now reaches the webview. */
  protected get listening(): boolean {
    return this.ready && this.panel.visible && !this.isDisposed;
  }

  /** Keeps `m` (or how to make it) as the view's state under `key`, and sends it when the webview listens. */
  protected keep(key: string, m: Kept<Out>): void {
    this.kept.set(key, m);
    this.send(m);
  }

  /** Sends the state under `key` again (its maker is asked anew). */
  protected resend(key: string): void {
    const m = this.kept.get(key);
    if (m !== undefined) this.send(m);
  }

  /** Drops the state under `key`, or all of it (a new record or pair replaces everything). */
  protected forget(key?: string): void {
    if (key === undefined) this.kept.clear();
    else this.kept.delete(key);
  }

  /** Re-sends the whole state (after `ready`, or when the panel becomes visible again). */
  private flush(): void {
    for (const m of this.kept.values()) this.send(m);
  }

  private send(m: Kept<Out>): void {
    if (!this.listening) return; // re-sent by flush()
    const message = typeof m === 'function' ? m() : m;
    if (message !== undefined) void this.panel.webview.postMessage(this.protocol.outgoing.parse(message));
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }
}

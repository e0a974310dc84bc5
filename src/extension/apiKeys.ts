/**
 * API keys of the OpenAI-compatible endpoints the extension calls (the route judge, a served
 * re-run model), one mechanism for all: each key is kept in VS Code's secret storage under its own
 * name, never in settings, and set or removed by one command that asks for it in a password box.
 */
import * as vscode from 'vscode';

export class ApiKey {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    /** The secret's name. */
    readonly name: string,
    /** What the key is for, in messages ("judge", "served model"). */
    readonly what: string,
  ) {}

  async get(): Promise<string | undefined> {
    return (await this.secrets.get(this.name))?.trim() || undefined;
  }

  /** Stores the key; an empty or undefined key removes it. */
  async set(key: string | undefined): Promise<void> {
    const k = key?.trim();
    if (k) await this.secrets.store(this.name, k);
    else await this.secrets.delete(this.name);
  }
}

/** The Set … API Key commands: the key given (tests, other extensions) or asked for; empty removes it. */
export async function askForApiKey(key: ApiKey, given?: unknown): Promise<void> {
  const title = key.what.charAt(0).toUpperCase() + key.what.slice(1);
  const value =
    typeof given === 'string'
      ? given
      : await vscode.window.showInputBox({
          title: `ST-Think: ${title} API Key`,
          prompt: `The key of the ${key.what} endpoint (kept in VS Code\u2019s secret storage, never in settings). Empty: remove it.`,
          password: true,
          ignoreFocusOut: true,
        });
  if (value === undefined) return;
  await key.set(value);
  void vscode.window.showInformationMessage(`ST-Think: ${key.what} API key ${value.trim() ? 'saved' : 'removed'}.`);
}

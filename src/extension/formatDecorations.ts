/** Marks records whose response breaks the <think>/<answer> format (the record URI says so). */
import * as vscode from 'vscode';
import { RECORD_SCHEME } from './recordDocuments';

export class FormatDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== RECORD_SCHEME || new URLSearchParams(uri.query).get('format') !== 'invalid') return undefined;
    return new vscode.FileDecoration('F', 'invalid <think>/<answer> format', new vscode.ThemeColor('list.warningForeground'));
  }
}

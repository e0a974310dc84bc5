/**
 * The one place that knows about @vscode/webview-ui-toolkit (deprecated upstream in 2025, still
 * working): the components are registered here and made here, so swapping the toolkit for plain
 * elements or another library touches only this file.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(
  vsCodeBadge(),
  vsCodeButton(),
  vsCodeCheckbox(),
  vsCodeDivider(),
  vsCodeDropdown(),
  vsCodeOption(),
  vsCodeProgressRing(),
);

export function button(
  label: string,
  onClick: () => void,
  opts: { secondary?: boolean; title?: string; disabled?: boolean } = {},
): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.secondary) b.setAttribute('appearance', 'secondary');
  if (opts.title) b.title = opts.title;
  if (opts.disabled) b.setAttribute('disabled', '');
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

export function badge(text: string, cls?: string): HTMLElement {
  const b = document.createElement('vscode-badge');
  b.textContent = text;
  if (cls) b.className = cls;
  return b;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  c.textContent = label;
  c.checked = checked;
  if (checked) c.setAttribute('checked', '');
  c.addEventListener('change', () => onChange(c.checked));
  return c;
}

export function dropdown(values: readonly string[], current: string, onChange: (v: string) => void, title: string): HTMLElement {
  const d = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  d.title = title;
  for (const v of values) {
    const o = document.createElement('vscode-option');
    o.textContent = v;
    o.setAttribute('value', v);
    if (v === current) o.setAttribute('selected', '');
    d.append(o);
  }
  d.addEventListener('change', () => onChange(d.value));
  return d;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

export function spinner(): HTMLElement {
  return document.createElement('vscode-progress-ring');
}

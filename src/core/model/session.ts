/**
 * The execution provider, with the project's own fallback: onnxruntime-node throws when the CUDA
 * provider is asked for and its library is not installed (its npm package ships CPU binaries only),
 * so 'auto' and 'cuda' try CUDA and, when that fails, open on the CPU and say why. The runtime itself
 * is loaded by the runner (runner.ts), lazily, so the rest of the core (and the CLI) runs without it.
 */
export type ProviderPreference = 'auto' | 'cuda' | 'cpu';
export type Provider = 'cuda' | 'cpu';

export interface OpenedOn<T> {
  value: T;
  provider: Provider;
  /** Why CUDA was not used when it was asked for (the runtime's own message). */
  fallback?: string;
}

/** How to add the CUDA provider, for messages and the README. */
export const CUDA_HELP =
  "The CUDA provider needs CUDA 12 and cuDNN 9 on this machine and onnxruntime-node's CUDA 12 binaries, " +
  'which its install script downloads on request (network needed): run "ST-Think: Download the CUDA Provider for Re-runs…", ' +
  'or ONNXRUNTIME_NODE_INSTALL=cuda12 node dist/node_modules/onnxruntime-node/script/install.js in the installed linux-x64 ' +
  "extension's folder (node_modules/onnxruntime-node/… in a checkout).";

/**
 * Opens something (the model's sessions) with `open` on CUDA when `want` allows it, else on the CPU,
 * and says which, with the runtime's reason when CUDA was asked for and failed.
 */
export async function openOnProvider<T>(want: ProviderPreference, open: (provider: Provider) => Promise<T>): Promise<OpenedOn<T>> {
  let fallback: string | undefined;
  if (want !== 'cpu') {
    try {
      return { value: await open('cuda'), provider: 'cuda' };
    } catch (e) {
      fallback = `CUDA provider unavailable: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
    }
  }
  return { value: await open('cpu'), provider: 'cpu', fallback };
}

/**
 * ONNX Runtime sessions with the project's own provider fallback: onnxruntime-node throws when the
 * CUDA provider is asked for and its library is not installed (its npm package ships CPU binaries
 * only), so 'auto' and 'cuda' try CUDA and, when that fails, open the session on the CPU and say why.
 * onnxruntime-node is loaded lazily so the rest of the core (and the CLI) runs without it.
 */
import type { InferenceSession } from 'onnxruntime-node';

export type ProviderPreference = 'auto' | 'cuda' | 'cpu';
export type Provider = 'cuda' | 'cpu';

export interface OpenedSession {
  session: InferenceSession;
  provider: Provider;
  /** Why CUDA was not used when it was asked for (the runtime's own message). */
  fallback?: string;
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;

/** onnxruntime-node, or an error that says how to install it. */
export function loadOrt(): Ort {
  if (ortModule) return ortModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as Ort;
    return ortModule;
  } catch (e) {
    throw new Error(`onnxruntime-node could not be loaded (${(e as Error).message.split('\n')[0]}); run "npm install --omit=dev" in the extension's folder (the .vsix does not carry the model runtime)`);
  }
}

/** How to add the CUDA provider, for messages and the README. */
export const CUDA_HELP =
  "The CUDA provider needs CUDA 12 and cuDNN 9 on this machine and onnxruntime-node's CUDA 12 binaries, " +
  'which its install script downloads on request (network needed): run "ST-Think: Download the CUDA Provider for Re-runs…", or ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js in the extension folder.';

export interface SessionOptions {
  provider?: ProviderPreference;
  /** Threads for the CPU provider (0: onnxruntime's default). */
  threads?: number;
}

/** Opens `file` on CUDA when asked and available, else on the CPU, and reports which. */
export async function openSession(file: string, opts: SessionOptions = {}): Promise<OpenedSession> {
  const ort = loadOrt();
  const want = opts.provider ?? 'auto';
  const base: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (opts.threads) base.intraOpNumThreads = opts.threads;
  let fallback: string | undefined;
  if (want !== 'cpu') {
    try {
      // The runtime logs the failed provider load itself; the fallback below reports it once.
      const session = await ort.InferenceSession.create(file, { ...base, executionProviders: ['cuda'], logSeverityLevel: 4 });
      return { session, provider: 'cuda' };
    } catch (e) {
      fallback = `CUDA provider unavailable: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const session = await ort.InferenceSession.create(file, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu', fallback };
}

/**
 * Re-running a question through a local Qwen2-VL ONNX model, behind one interface (`Rerunner`).
 *
 * The implementation uses @huggingface/transformers on onnxruntime-node for the tokenizer, the
 * vision preprocessing, the 3-D (M-RoPE) position ids, the KV cache and the generation loop.
 *
 * Input path, stated in every result: the frames go through the library's Qwen2-VL image processor
 * as ONE sequence of frames, which it patches exactly as Qwen2-VL patches a video (consecutive
 * frames merged in temporal patches of 2; grid t = frames / 2), with `<|image_pad|>` as the
 * placeholder. For Qwen2-VL this is the video input: the placeholder's embeddings are replaced by
 * the vision encoder's features and the position ids of an image grid and of a video grid of the
 * same size are the same; only the placeholder's token id differs. `videoPatches` in
 * ./video.ts implements the video formula independently and the tests compare the two.
 */
import * as path from 'node:path';
import type { ModelFolder } from './folder';
import type { RerunPrompt } from './prompt';
import { decodingSteps, type GenerationSettings } from './sampling';
import { openOnProvider, type Provider, type ProviderPreference } from './session';

export const INPUT_PATH =
  'frames as one Qwen2-VL video grid (temporal patches of 2) ' +
  'through the image processor of @huggingface/transformers, <|image_pad|> placeholder';

/** The text the tokenizer is given for a prompt's chat text: the video's placeholder as an image's (see INPUT_PATH). */
export function runnerInputText(chat: string): string {
  return chat.replace('<|video_pad|>', '<|image_pad|>');
}

export interface FrameInput {
  /** An image file of the frame (JPEG or PNG), as the trace view shows it. */
  file: string;
}

export interface RerunInput {
  frames: readonly FrameInput[];
  /** The size the model sees the frames at (ST-R1's smart_resize); frames are resized to it. */
  size: { width: number; height: number };
  prompt: RerunPrompt;
  generation: GenerationSettings;
  signal?: AbortSignal;
  /** Each piece of decoded text as it comes, with the number of new tokens so far. */
  onText?: (text: string, tokens: number) => void;
  /**
   * The text streamed so far is void: the run starts over (a served request retried after its
   * stream broke). What comes through onText next is the new attempt's, from its first piece.
   */
  onReset?: () => void;
}

export interface RerunTimings {
  /** Reading and resizing the frames. */
  framesMs: number;
  /** Tokenising and patching (the processor). */
  preprocessMs: number;
  visionMs: number;
  /** The first decoder step over the whole prompt. */
  prefillMs: number;
  /** From the start of the run (frames included) to the first new token. */
  firstTokenMs: number;
  totalMs: number;
  newTokens: number;
  /** New tokens after the first, per second of decoding. */
  tokensPerSecond: number;
}

export interface RerunOutput {
  /** The assistant's turn: the prompt's assistant prefix, then what the model wrote. */
  response: string;
  generated: string;
  stopped: 'eos' | 'length' | 'cancelled';
  /** The exact text given to the tokenizer. */
  inputText: string;
  inputPath: string;
  videoGrid: [number, number, number];
  /** Tokens of the input (the video's placeholders expanded). */
  promptTokens: number;
  timings: RerunTimings;
}

export interface Rerunner {
  readonly provider: Provider;
  /** Why CUDA was not used when it was asked for. */
  readonly fallback?: string;
  readonly model: ModelFolder;
  readonly loadMs: number;
  run(input: RerunInput): Promise<RerunOutput>;
  /** The onnxruntime-node sessions the library opened (for the benchmark's bare loop). */
  sessions(): Record<string, unknown>;
  dispose(): Promise<void>;
}

/* The library is CommonJS-loadable in Node (dist/transformers.node.cjs); typed loosely here so the
 * core compiles without its (large) type declarations and the bundles keep it external. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let lib: Any;
function transformers(): Any {
  if (!lib) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      lib = require('@huggingface/transformers');
    } catch (e) {
      throw new Error(
        `@huggingface/transformers could not be loaded (${(e as Error).message.split('\n')[0]}); ` +
          `install the .vsix built for ${process.platform}-${process.arch} ` +
          '(st-think-inspector-<platform>.vsix carries the model runtime, the universal st-think-inspector.vsix does not), ' +
          'or run "npm ci" in a checkout',
        { cause: e },
      );
    }
  }
  return lib;
}

/** Loads the model's three sessions on CUDA when asked and available, else on the CPU. */
export async function loadRerunner(model: ModelFolder, provider: ProviderPreference = 'auto'): Promise<Rerunner> {
  const t = transformers();
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  t.env.localModelPath = path.dirname(model.dir) + path.sep;
  const id = path.basename(model.dir);
  const start = performance.now();
  const load = (device: Provider) =>
    t.Qwen2VLForConditionalGeneration.from_pretrained(id, {
      dtype: model.dtype,
      device,
      local_files_only: true,
      session_options: device === 'cuda' ? { logSeverityLevel: 4 } : {},
    });
  const { value: net, provider: used, fallback } = await openOnProvider<Any>(provider, load);
  const processor = await t.AutoProcessor.from_pretrained(id, { local_files_only: true });
  return new TransformersRerunner(t, net, processor, model, used, fallback, performance.now() - start);
}

class TransformersRerunner implements Rerunner {
  constructor(
    private readonly t: Any,
    private readonly net: Any,
    private readonly processor: Any,
    readonly model: ModelFolder,
    readonly provider: Provider,
    readonly fallback: string | undefined,
    readonly loadMs: number,
  ) {}

  async run(input: RerunInput): Promise<RerunOutput> {
    const { net, processor } = this;
    const start = performance.now();
    const signal = input.signal;
    if (input.frames.length < 2 || input.frames.length % 2)
      throw new Error(`a Qwen2-VL video needs an even number of frames, at least 2 (got ${input.frames.length})`);

    const frames = await this.readFrames(input);
    const framesDone = performance.now();

    const inputText = runnerInputText(input.prompt.chat);
    const inputs = await processor(inputText, frames);
    const grid = inputs.image_grid_thw.tolist()[0].map(Number) as [number, number, number];
    const preprocessDone = performance.now();

    const { timing, restore } = this.timeSessions();
    const stream = this.streamer(input);
    const g = input.generation;
    try {
      await net.generate({
        ...inputs,
        max_new_tokens: g.maxNewTokens,
        // Our processor picks each token (decodingProcessor); the library's greedy step takes the pick.
        do_sample: false,
        repetition_penalty: 1.0,
        streamer: stream.streamer,
        stopping_criteria: [this.stopOnAbort(signal)],
        logits_processor: [this.decodingProcessor(g)],
      });
    } finally {
      restore();
    }
    const end = performance.now();
    const { generated, newTokens, firstTokenAt, lastToken } = stream.state;
    const stopped: RerunOutput['stopped'] = signal?.aborted
      ? 'cancelled'
      : lastToken !== undefined && this.model.eosTokenIds.includes(Number(lastToken))
        ? 'eos'
        : 'length';
    const decodeMs = firstTokenAt ? end - firstTokenAt : 0;
    return {
      response: input.prompt.assistantPrefix + generated,
      generated,
      stopped,
      inputText,
      inputPath: INPUT_PATH,
      videoGrid: grid,
      promptTokens: Number(inputs.input_ids.dims[1]),
      timings: {
        framesMs: framesDone - start,
        preprocessMs: preprocessDone - framesDone,
        visionMs: timing.vision,
        prefillMs: timing.prefill,
        firstTokenMs: firstTokenAt ? firstTokenAt - start : end - start,
        totalMs: end - start,
        newTokens,
        tokensPerSecond: newTokens > 1 && decodeMs > 0 ? ((newTokens - 1) * 1000) / decodeMs : 0,
      },
    };
  }

  /** The frames as the model reads them: RGB, resized to the input size. */
  private async readFrames(input: RerunInput): Promise<Any[]> {
    const frames = [];
    for (const f of input.frames) {
      const img = await this.t.RawImage.read(f.file);
      // bicubic, as the upstream video reader resizes (torchvision); the library resizes with sharp.
      frames.push(await img.rgb().resize(input.size.width, input.size.height, { resample: 3 }));
      if (input.signal?.aborted) throw new CancelledError();
    }
    return frames;
  }

  /** Times the sessions the library runs: the vision encoder and the decoder's first (prefill) step. */
  private timeSessions(): { timing: { vision: number; prefill: number; decoderRuns: number }; restore: () => void } {
    const timing = { vision: 0, prefill: 0, decoderRuns: 0 };
    const restore: (() => void)[] = [];
    for (const [name, session] of Object.entries(this.net.sessions as Record<string, Any>)) {
      const run = session.run.bind(session);
      session.run = async (...args: unknown[]) => {
        const s = performance.now();
        try {
          return await run(...args);
        } finally {
          const ms = performance.now() - s;
          if (name === 'vision_encoder') timing.vision += ms;
          else if (name === 'decoder_model_merged' && timing.decoderRuns++ === 0) timing.prefill += ms;
        }
      };
      restore.push(() => delete session.run);
    }
    return { timing, restore: () => restore.forEach((r) => r()) };
  }

  /** A streamer that passes the text on as it comes and keeps what the result reports. */
  private streamer(input: RerunInput): {
    streamer: Any;
    state: { generated: string; newTokens: number; firstTokenAt: number; lastToken: bigint | undefined };
  } {
    const state = { generated: '', newTokens: 0, firstTokenAt: 0, lastToken: undefined as bigint | undefined };
    const streamer = new this.t.TextStreamer(this.processor.tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (text: string) => {
        state.generated += text;
        input.onText?.(text, state.newTokens);
      },
      token_callback_function: (tokens: bigint[]) => {
        state.newTokens += tokens.length;
        state.lastToken = tokens[tokens.length - 1];
        if (!state.firstTokenAt) state.firstTokenAt = performance.now();
      },
    });
    return { streamer, state };
  }

  /** Stops generating once the signal is aborted. */
  private stopOnAbort(signal: AbortSignal | undefined): Any {
    const Stop = class extends this.t.StoppingCriteria {
      _call(ids: unknown[]) {
        return ids.map(() => signal?.aborted === true);
      }
    };
    return new Stop();
  }

  /**
   * Every step goes through our processors (transformers' repetition penalty, temperature, top-k,
   * top-p, in that order; ./sampling.ts) and our pick (argmax, or a seeded draw); the library's
   * own greedy step then takes that pick. Its repetition penalty, which it would read from the
   * folder's generation_config.json, is turned off in run() so the penalty applies exactly once.
   */
  private decodingProcessor(g: RerunInput['generation']): Any {
    const { imageTokenId, videoTokenId } = this.model;
    // The sequence as upstream's input_ids hold it: the video's placeholders are <|video_pad|> there.
    const step = decodingSteps(g, imageTokenId !== undefined ? { from: imageTokenId, to: videoTokenId } : undefined);
    const Steps = class extends this.t.LogitsProcessor {
      _call(ids: bigint[][], logits: Any) {
        const [rows, vocab] = logits.dims.length === 2 ? logits.dims : [1, logits.dims[0]];
        const data = logits.data as Float32Array;
        for (let r = 0; r < rows; r++) {
          const row = data.subarray(r * vocab, (r + 1) * vocab);
          const pick = step(r, ids[r], row);
          row.fill(-Infinity);
          row[pick] = 0;
        }
        return logits;
      }
    };
    return new Steps();
  }

  sessions(): Record<string, unknown> {
    return { ...this.net.sessions };
  }

  async dispose(): Promise<void> {
    await this.net.dispose?.();
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

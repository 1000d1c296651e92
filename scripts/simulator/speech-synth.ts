import { Worker } from "node:worker_threads";

/**
 * Speech for the simulator from an npm package, not from the machine: eSpeak NG compiled to
 * WebAssembly (`espeak-ng`, GPL-3.0, a devDependency that only the simulator loads; see
 * docs/adr/0022) running in a worker thread (speech-worker.mjs), because one synthesis blocks
 * for a few hundred milliseconds. One worker serves the process; requests queue in it.
 *
 * A synthesizer is a function, so tests (and the orchestrator's start-up check) can give the
 * simulator one that fails and see what a call shows when no audio can be made.
 */

/** Text in, a 16-bit PCM WAV (eSpeak's own rate, 22,050 Hz mono) out; rejects with the reason. */
export type Synthesizer = (text: string, voice: string, wordsPerMinute: number) => Promise<Buffer>;

export class SpeechUnavailableError extends Error {
  override name = "SpeechUnavailableError";
}

const TIMEOUT_MS = 30_000;

interface Pending {
  resolve(wav: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    pending.delete(id);
    p.reject(error);
  }
}

function ensureWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL("./speech-worker.mjs", import.meta.url));
  started.on("message", (message: { id: number; wav?: Uint8Array; error?: string }) => {
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    clearTimeout(p.timer);
    if (message.wav) p.resolve(Buffer.from(message.wav.buffer, message.wav.byteOffset, message.wav.byteLength));
    else p.reject(new SpeechUnavailableError(`eSpeak NG: ${message.error ?? "no audio"}`));
    if (pending.size === 0) started.unref();
  });
  // A worker that cannot start (the package missing, a module that does not load) or dies fails
  // every request it held, and the next request starts a new one.
  const gone = (error: Error) => {
    if (worker === started) worker = undefined;
    failAll(new SpeechUnavailableError(`The speech worker stopped: ${error.message}`, { cause: error }));
  };
  started.on("error", gone);
  started.on("exit", (code) => gone(new Error(`exit code ${code}`)));
  worker = started;
  return started;
}

/** The eSpeak NG synthesizer, in the shared worker. */
export const espeakSynthesizer: Synthesizer = (text, voice, wordsPerMinute) =>
  new Promise<Buffer>((resolve, reject) => {
    const id = nextId++;
    const w = ensureWorker();
    w.ref();
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new SpeechUnavailableError(`eSpeak NG did not answer within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    w.postMessage({ id, text, voice, wordsPerMinute });
  });

/** Stops the worker (tests, and the orchestrator on exit); the next request starts another. */
export async function stopSpeechWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}

/**
 * One short line through `synthesize`: null when speech works, else why not. The orchestrator
 * runs it at start so a degraded simulator says so before anyone places a call.
 */
export async function speechProblem(synthesize: Synthesizer = espeakSynthesizer): Promise<string | null> {
  try {
    const wav = await synthesize("Ready.", "en-us", 160);
    return wav.length > 44 ? null : "eSpeak NG produced an empty file";
  } catch (error) {
    return (error as Error).message;
  }
}

// eSpeak NG (compiled to WebAssembly, the `espeak-ng` npm package, GPL-3.0: a devDependency used
// by the simulator only) in a worker thread. One synthesis is its command line run once in a
// fresh instance and blocks for a few hundred milliseconds, so it never runs on the thread that
// answers HTTP. The module is compiled once; each request instantiates it anew (the CLI's main
// runs once per instance). Plain JavaScript so the worker needs no TypeScript loader.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";

const require = createRequire(import.meta.url);
const entry = require.resolve("espeak-ng");
const { default: ESpeakNg } = await import(entry);
const compiled = WebAssembly.compile(await readFile(new URL("espeak-ng.wasm", `file://${entry}`)));

/** @param {{ id: number, text: string, voice: string, wordsPerMinute: number }} request */
async function speak(request) {
  const wasm = await compiled;
  const errors = [];
  const espeak = await ESpeakNg({
    // The text goes in a file, never on the command line, so nothing in it reads as an option.
    arguments: ["-v", request.voice, "-s", String(request.wordsPerMinute), "-f", "/in.txt", "-w", "/out.wav"],
    preRun: [(m) => m.FS.writeFile("/in.txt", request.text)],
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(wasm, imports).then((instance) => done(instance), (error) => errors.push(String(error)));
      return {};
    },
    print: () => {},
    printErr: (line) => errors.push(line),
  });
  if (!espeak.FS.analyzePath("/out.wav").exists) {
    throw new Error(errors.find((line) => !line.startsWith("program exited")) ?? "eSpeak NG produced no audio");
  }
  return espeak.FS.readFile("/out.wav");
}

parentPort.on("message", (request) => {
  speak(request).then(
    (wav) => parentPort.postMessage({ id: request.id, wav }, [wav.buffer]),
    (error) => parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});

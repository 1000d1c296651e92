import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBundle } from "@/lib/evidence/bundle";
import { SMALL_FILE_MAX_BYTES } from "@/lib/evidence/bundle-limits";
import { BundleZipError, openZipBundle } from "@/lib/evidence/bundle-zip";
import { bombEntry, deflatedEntry, MALFORMED, malformedEntry, storedEntry, zipOfEntries, type Malformation } from "@/scripts/hostile-zip";

/** The ZIP reader refuses what a hostile bundle could do to it (docs/adr/0017). */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "verbatim-zip-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function zipOf(files: Record<string, Buffer>, compress = true): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of Object.entries(files)) zip.addBuffer(bytes, name, { compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function fileOf(bytes: Buffer): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.zip`);
  await writeFile(file, bytes);
  return file;
}

async function refusal(file: string, limits = {}): Promise<string> {
  try {
    (await openZipBundle(file, limits)).close();
    return "opened";
  } catch (error) {
    expect(error).toBeInstanceOf(BundleZipError);
    return (error as BundleZipError).reason;
  }
}

describe("openZipBundle", () => {
  it("reads a ZIP's files whole and as streams", async () => {
    const bundle = await openZipBundle(await fileOf(await zipOf({ "a.txt": Buffer.from("hello"), "dir/b.bin": Buffer.alloc(100_000, 7) })));
    expect(bundle.names().sort()).toEqual(["a.txt", "dir/b.bin"]);
    expect(Buffer.from((await bundle.read("a.txt"))!).toString()).toBe("hello");
    let size = 0;
    for await (const chunk of (await bundle.stream("dir/b.bin"))!) size += chunk.length;
    expect(size).toBe(100_000);
    expect(await bundle.read("missing")).toBeUndefined();
    bundle.close();
  });

  it("refuses more entries than the limit", async () => {
    const file = await fileOf(await zipOf({ a: Buffer.from("1"), b: Buffer.from("2"), c: Buffer.from("3") }));
    expect(await refusal(file, { maxEntries: 2 })).toBe("too_many_entries");
  });

  it("refuses a zip bomb: entries that inflate past the total limit", async () => {
    // 50 MB of zeros deflates to about 50 KB.
    const file = await fileOf(await zipOf({ "zeros.bin": Buffer.alloc(50 * 1024 * 1024) }));
    expect(await refusal(file, { maxTotalBytes: 10 * 1024 * 1024 })).toBe("too_large");
  });

  it("refuses a name that climbs out with ..", async () => {
    // yazl will not write such a name; patch it in (names are not covered by the CRC).
    const bytes = await zipOf({ "xx/evil.txt": Buffer.from("x") });
    const patched = Buffer.from(bytes.toString("latin1").replaceAll("xx/evil.txt", "../evil.txt"), "latin1");
    expect(await refusal(await fileOf(patched))).toBe("unsafe_name");
  });

  it("refuses what is not a ZIP", async () => {
    expect(await refusal(await fileOf(Buffer.from("not a zip at all")))).toBe("not_a_zip");
  });
});

/** The reason a promise (or the iteration it leads to) was refused with, or "read" when it was not. */
async function reasonOf(work: () => Promise<unknown>): Promise<string> {
  try {
    const result = await work();
    if (result && typeof result === "object" && Symbol.asyncIterator in result) for await (const _ of result as AsyncIterable<unknown>);
    return "read";
  } catch (error) {
    expect(error).toBeInstanceOf(BundleZipError);
    return (error as BundleZipError).reason;
  }
}

/** Deflate data no inflater accepts: reading it could only end in "corrupt", so another reason proves it was never inflated. */
function unreadable(name: string, declaredBytes: number) {
  const entry = deflatedEntry(name, Buffer.alloc(1000, 0x41));
  const data = Buffer.from(entry.data);
  data[0] = 0xff;
  return { ...entry, data, uncompressedSize: declaredBytes };
}

describe("reader limits", () => {
  it("read refuses a file declared over its cap before inflating it: the default cap, a smaller one asked for, never a larger one", async () => {
    const bundle = await openZipBundle(await fileOf(zipOfEntries([
      unreadable("over-default.jws", SMALL_FILE_MAX_BYTES + 1),
      unreadable("two-kib.json", 2048),
      storedEntry("ok.json", Buffer.from("{}")),
    ])));
    expect(await reasonOf(() => bundle.read("over-default.jws"))).toBe("too_large");
    expect(await reasonOf(() => bundle.read("over-default.jws", SMALL_FILE_MAX_BYTES * 4))).toBe("too_large");
    expect(await reasonOf(() => bundle.read("two-kib.json", 1024))).toBe("too_large");
    // Under the cap it is inflated, and this one's data is bad.
    expect(await reasonOf(() => bundle.read("two-kib.json"))).toBe("corrupt");
    expect(Buffer.from((await bundle.read("ok.json", 2))!).toString()).toBe("{}");
    bundle.close();
  });

  it("stream with the expected size refuses another declared size before inflating, and never yields more than expected", async () => {
    // The bomb helper is a real deflate stream: 4 MiB of zeros when it declares them.
    const honest = await openZipBundle(await fileOf(zipOfEntries([bombEntry("zeros.bin", 4, 4 * 1024 * 1024)])));
    let zeros = 0;
    for await (const chunk of (await honest.stream("zeros.bin", 4 * 1024 * 1024))!) zeros += chunk.filter((b) => b === 0).length;
    expect(zeros).toBe(4 * 1024 * 1024);
    honest.close();

    const bundle = await openZipBundle(await fileOf(zipOfEntries([
      unreadable("artifacts/declared-big.wav", 3 * 1024 ** 3),
      // Declares 1000 bytes, as expected, and inflates to 64 MiB.
      bombEntry("artifacts/bomb.wav", 64, 1000),
    ])), { maxTotalBytes: 4 * 1024 ** 3 });
    expect(await reasonOf(() => bundle.stream("artifacts/declared-big.wav", 300_000))).toBe("size_mismatch");
    let yielded = 0;
    const refused = await reasonOf(async () => {
      for await (const chunk of (await bundle.stream("artifacts/bomb.wav", 1000))!) yielded += chunk.length;
    });
    expect(refused).toBe("size_mismatch");
    expect(yielded).toBeLessThanOrEqual(1000);
    expect(await bundle.stream("artifacts/missing.wav", 1)).toBeUndefined();
    bundle.close();
  });

  it("names every way an entry can be malformed with a reason, whether it is read whole or streamed", async () => {
    const bytes = Buffer.from("eyJhbGciOiJFZERTQSJ9.".repeat(200));
    const reasons: Record<string, string> = {};
    for (const kind of Object.keys(MALFORMED) as Malformation[]) {
      const file = await fileOf(zipOfEntries([storedEntry("a.json", Buffer.from("{}")), malformedEntry(kind, "manifest.jws", bytes)]));
      const read = await reasonOf(async () => {
        const bundle = await openZipBundle(file);
        try {
          return await bundle.read("manifest.jws");
        } finally {
          bundle.close();
        }
      });
      const streamed = await reasonOf(async () => {
        const bundle = await openZipBundle(file);
        try {
          for await (const _ of (await bundle.stream("manifest.jws"))!);
        } finally {
          bundle.close();
        }
      });
      reasons[kind] = `${read}/${streamed}`;
    }
    expect(reasons).toEqual(Object.fromEntries(Object.entries(MALFORMED).map(([kind, code]) => [kind, `${code.slice(4)}/${code.slice(4)}`])));
  });

  it("a bundle in memory keeps the same limits", async () => {
    const bundle = memoryBundle({ "big.json": new Uint8Array(SMALL_FILE_MAX_BYTES + 1), "small.json": "{}", "artifacts/a.wav": new Uint8Array(10) });
    expect(await reasonOf(() => bundle.read("big.json"))).toBe("too_large");
    expect(await reasonOf(() => bundle.read("small.json", 1))).toBe("too_large");
    expect(Buffer.from((await bundle.read("small.json"))!).toString()).toBe("{}");
    expect(await reasonOf(() => bundle.stream("artifacts/a.wav", 11))).toBe("size_mismatch");
    expect(await reasonOf(() => bundle.stream("artifacts/a.wav", 10))).toBe("read");
  });
});

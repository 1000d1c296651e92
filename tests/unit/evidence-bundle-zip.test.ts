import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleZipError, openZipBundle } from "@/lib/evidence/bundle-zip";

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

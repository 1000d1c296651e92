import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/calls/[id]/evidence/route";
import { POST as verifyRoute } from "@/app/api/evidence/verify/route";
import { resetConfig } from "@/lib/config";
import { asService } from "@/lib/db";
import { artifactFileName } from "@/lib/evidence/bundle";
import type { Manifest } from "@/lib/evidence/manifest";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { storage } from "@/lib/storage";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { bombEntry, MALFORMED, malformedEntry, storedEntry, zipOfEntries, zipWith, type Malformation } from "@/scripts/hostile-zip";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * `POST /api/evidence/verify` with uploads meant to hurt it (issue 17 §4, docs/adr/0028),
 * through the real route handler, against the real database, keys, local TSA and storage: every
 * malformed archive is a 4xx with the error shape, inflating is bounded by what the archive
 * declares and what was uploaded, an upload past the limit is 413 without reading the rest, a
 * busy server is 429 without reading the body, and a genuine bundle still verifies. The
 * archives are written byte by byte (scripts/hostile-zip.ts) from a genuine bundle's files.
 */
const log = pino({ level: "silent" });
let dir: string;
let tmp: string;
let orgId: string;
let analyst: Awaited<ReturnType<typeof signedInUser>>;
let genuine: Map<string, Uint8Array>;
let genuineZip: Buffer;
let recording: { name: string; bytes: number };

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string; requestId: string } };
}

async function post(body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Answer> {
  const req = new Request("http://127.0.0.1/api/evidence/verify", {
    method: "POST",
    headers: { "content-type": "application/zip", "x-forwarded-for": "198.51.100.79", ...headers },
    body: body as BodyInit,
    duplex: "half",
  } as RequestInit);
  const res = await as(analyst.browser, () => verifyRoute(req, { params: Promise.resolve({}) }));
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
}

/** A body that counts how many chunks were read from it, and reads nothing on its own. */
function countedBody(chunks: Uint8Array[]): { body: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[pulls++];
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulls: () => pulls };
}

function withEnv(name: string, value: string): () => void {
  process.env[name] = value;
  resetConfig();
  return () => {
    delete process.env[name];
    resetConfig();
  };
}

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-verify-limits-");
  // The verify API's temporary files land here, so each test can see that none is left behind.
  tmp = path.join(dir, "tmp");
  await mkdir(tmp);
  process.env.TMPDIR = tmp;

  orgId = await createOrg("global");
  analyst = await signedInUser();
  await addMembership(orgId, analyst.userId, "analyst");
  const [call] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${orgId}, ${analyst.userId}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: true, transcribe: false, disclosure: null } as never)},
            'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, ${new Date(Date.now() - 60_000)}, ${new Date()}, 42)
    returning id`);
  const callId = call!.id;
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([randomBytes(300_000)]), { contentType: "audio/wav" });
  await asService((tx) => tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3, 1, 'audio/wav', now())`);
  expect(await sealCall({ orgId, callId }, { log })).toMatchObject({ outcome: "sealed", version: 1 });

  const res = await as(analyst.browser, () => exportRoute(new Request(`http://127.0.0.1/api/calls/${callId}/evidence`), { params: Promise.resolve({ id: callId }) }));
  expect(res.status).toBe(200);
  genuineZip = Buffer.from(await res.arrayBuffer());
  await writeFile(path.join(dir, "bundle.zip"), genuineZip);
  genuine = await unzip(path.join(dir, "bundle.zip"));
  const manifest = JSON.parse(new TextDecoder().decode(genuine.get("manifest.json")!)) as Manifest;
  const artifact = manifest.artifacts.find((a) => a.kind === "recording")!;
  recording = { name: artifactFileName(artifact), bytes: artifact.bytes };
}, 60_000);

afterEach(async () => {
  expect(await readdir(tmp)).toEqual([]);
});

afterAll(async () => {
  delete process.env.TMPDIR;
  await clearEvidenceDirs(dir);
});

describe("POST /api/evidence/verify: a genuine bundle", () => {
  it("verifies as exported, and as rewritten by the test's own ZIP writer", async () => {
    const exported = await post(genuineZip);
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({ ok: true, failures: [] });
    const rewritten = await post(zipOfEntries([...genuine].map(([name, bytes]) => storedEntry(name, bytes))));
    expect(rewritten.body).toMatchObject({ ok: true, failures: [] });
  });
});

describe("POST /api/evidence/verify: a malformed archive is 422 with its reason, never a 500", () => {
  const targets = [
    { label: "manifest.jws, read whole", name: () => "manifest.jws" },
    { label: "the recording, streamed", name: () => recording.name },
  ];
  for (const [kind, code] of Object.entries(MALFORMED) as [Malformation, string][]) {
    for (const target of targets) {
      it(`${kind.replaceAll("_", " ")} in ${target.label}: 422 ${code}`, async () => {
        const name = target.name();
        const answer = await post(zipWith(genuine, name, malformedEntry(kind, name, genuine.get(name)!)));
        expect(answer.status).toBe(422);
        expect(answer.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
        expect(answer.headers.get("connection")).toBe("close");
      });
    }
  }
});

describe("POST /api/evidence/verify: inflating is bounded", () => {
  it("stops an artifact that inflates far beyond its declared size (the manifest's) at that size: 422", async () => {
    // Declares the recording's 300 000 bytes and inflates to 3 GiB of zeros (a 3 MB upload).
    const answer = await post(zipWith(genuine, recording.name, bombEntry(recording.name, 3072, recording.bytes)));
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: "zip_size_mismatch" });
  });

  it("refuses, before inflating, an artifact declared far beyond what the upload could honestly hold: 422", async () => {
    // Declares 3 GiB and inflates to 3 GiB: honest about itself, but 1000 times its upload.
    const answer = await post(zipWith(genuine, recording.name, bombEntry(recording.name, 3072, 3072 * 1024 ** 2)));
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: "zip_too_large" });
  });

  it("refuses a JWS over the small-file cap before inflating it, and one that inflates past what it declares: 422", async () => {
    const large = await post(zipWith(genuine, "manifest.jws", bombEntry("manifest.jws", 20, 20 * 1024 ** 2)));
    expect(large.status).toBe(422);
    expect(large.body.error).toMatchObject({ code: "zip_too_large", message: expect.stringContaining("manifest.jws") });
    const lying = await post(zipWith(genuine, "manifest.jws", bombEntry("manifest.jws", 64, genuine.get("manifest.jws")!.length)));
    expect(lying.status).toBe(422);
    expect(lying.body.error).toMatchObject({ code: "zip_size_mismatch" });
  });
});

describe("POST /api/evidence/verify: size and concurrency limits", () => {
  it("answers 413 by Content-Length without reading the body, and by counting as soon as the limit is passed, closing the connection", async () => {
    const restore = withEnv("EVIDENCE_VERIFY_MAX_BYTES", "10000");
    try {
      const declared = countedBody([genuineZip]);
      const byLength = await post(declared.body, { "content-length": String(genuineZip.length) });
      expect(byLength.status).toBe(413);
      expect(byLength.body.error).toMatchObject({ code: "payload_too_large", limitBytes: 10000 });
      expect(byLength.headers.get("connection")).toBe("close");
      expect(declared.pulls()).toBe(0);

      // No Content-Length: 4 KiB chunks, refused on the third (12 KiB), the rest never read.
      const chunks = Array.from({ length: 100 }, (_, i) => genuineZip.subarray(i * 4096, (i + 1) * 4096));
      const counted = countedBody(chunks);
      const byCount = await post(counted.body);
      expect(byCount.status).toBe(413);
      expect(byCount.body.error).toMatchObject({ code: "payload_too_large" });
      expect(byCount.headers.get("connection")).toBe("close");
      expect(counted.pulls()).toBe(3);
    } finally {
      restore();
    }
  });

  it("answers 429 with Retry-After past EVIDENCE_VERIFY_CONCURRENCY without reading the body, and frees the slot when a verification ends, passed or refused", async () => {
    const restore = withEnv("EVIDENCE_VERIFY_CONCURRENCY", "1");
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reading!: () => void;
      const started = new Promise<void>((resolve) => (reading = resolve));
      let sent = false;
      const slow = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            reading();
            await gate;
            if (sent) return controller.close();
            sent = true;
            controller.enqueue(genuineZip);
          },
        },
        { highWaterMark: 0 },
      );
      const first = post(slow);
      await started;

      const waiting = countedBody([genuineZip]);
      const busy = await post(waiting.body);
      expect(busy.status).toBe(429);
      expect(busy.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(busy.headers.get("connection")).toBe("close");
      expect(busy.body.error).toMatchObject({ code: "rate_limited", message: expect.any(String), requestId: expect.any(String) });
      expect(waiting.pulls()).toBe(0);

      release();
      expect((await first).body).toMatchObject({ ok: true });
      const malformed = await post(zipWith(genuine, recording.name, malformedEntry("corrupt_deflate", recording.name, genuine.get(recording.name)!)));
      expect(malformed.status).toBe(422);
      expect((await post(genuineZip)).body).toMatchObject({ ok: true });
    } finally {
      restore();
    }
  });
});

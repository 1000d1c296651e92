import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import pino from "pino";

/**
 * A sealed, completed call with a stored recording of `bytes` random bytes (nothing compresses
 * them), in the organization named `orgName` (made when there is none): what `bench:export` and
 * `bench:verify` export.
 * The bytes stream into storage through lib/storage a MiB at a time; the call is sealed with the
 * real sealing job code. Imports the database lazily, so the caller sets DATABASE_URL first.
 */
export async function sealedCallWithRecording({ orgName, bytes }: { orgName: string; bytes: number }): Promise<{ orgId: string; callId: string; userId: string }> {
  const { asService } = await import("@/lib/db");
  const { storage } = await import("@/lib/storage");
  const { sealCall } = await import("@/lib/evidence-sealing/seal-call");
  const { orgId, callId, userId } = await asService(async (tx) => {
    const [found] = await tx<{ id: string }[]>`select id from public.organizations where name = ${orgName} order by created_at limit 1`;
    const [org] = found ? [found] : await tx<{ id: string }[]>`insert into public.organizations (name, plan) values (${orgName}, 'global') returning id`;
    const [user] = await tx<{ id: string }[]>`insert into auth.users (email) values (${`bench-${randomUUID().slice(0, 8)}@example.test`}) returning id`;
    const [call] = await tx<{ id: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                                provider_call_sid, answered_at, ended_at, duration_seconds)
      values (${org!.id}, ${user!.id}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: true, transcribe: false, disclosure: null } as never)},
              'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, now() - interval '1 hour', now(), 3600)
      returning id`;
    return { orgId: org!.id, callId: call!.id, userId: user!.id };
  });
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  let left = bytes;
  const source = Readable.from((function* () {
    while (left > 0) {
      const n = Math.min(left, 1 << 20);
      left -= n;
      yield randomBytes(n);
    }
  })());
  const put = await storage().put(objectPath, source, { contentType: "audio/wav" });
  await asService((tx) => tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3600, 1, 'audio/wav', now())`);
  await sealCall({ orgId, callId }, { log: pino({ level: "silent" }) });
  return { orgId, callId, userId };
}

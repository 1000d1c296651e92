"use client";

import { useState } from "react";
import useSWR from "swr";
import { ApiError, errorMessage, swrFetcher } from "@/components/shared/api-client";
import { ORG_HEADER } from "@/lib/rbac/org-header";

/**
 * A call's evidence (owners, admins, analysts): every sealed manifest version with its hash and
 * its place in the organization's log, the signed head that covers them and when it was
 * timestamped, Verify (the server checks the latest manifest's signature, log inclusion and
 * timestamp) and Export (the ZIP bundle anyone can verify offline), and the custody record.
 * Loaded only when opened; realtime refreshes it with the call.
 */

interface EvidenceView {
  versions: Array<{ version: number; manifestSha256: string; previousSha256: string | null; sealedAt: string; kid: string; leafIndex: number | null; jws: string; missing: number }>;
  head: { treeSize: number; rootHash: string; timestampedAt: string; tsa: string } | null;
  custody: Array<{ sequence: number; action: string; actorUserId: string | null; sha256: string | null; occurredAt: string; hash: string }>;
}

interface VerificationReport {
  ok: boolean;
  failures: Array<{ subject: string; field?: string; message: string }>;
  log: { treeSize: number; leafIndex: number } | null;
  timestamp: { genTime: string } | null;
}

const short = (hex: string) => `${hex.slice(0, 12)}…${hex.slice(-4)}`;

export function CallEvidence({ orgId, callId }: { orgId: string; callId: string }) {
  const path = `/api/calls/${encodeURIComponent(callId)}/evidence/versions`;
  // Sealing follows the call's end by a few seconds: look again until the first version exists.
  const { data, error, mutate } = useSWR<EvidenceView, ApiError>([path, orgId] as const, swrFetcher, {
    refreshInterval: (latest) => (latest && latest.versions.length === 0 ? 2000 : 0),
  });
  const [verify, setVerify] = useState<{ busy: boolean; report: VerificationReport | null; error: string | null }>({ busy: false, report: null, error: null });
  const [custody, setCustody] = useState(false);

  if (error) return <p role="alert" className="text-xs text-danger">{errorMessage(error)}</p>;
  if (!data) return <p className="text-xs text-muted">Loading…</p>;
  if (data.versions.length === 0) {
    return <p className="text-xs text-muted" data-testid="evidence-state" data-state="unsealed">Sealed once the call has ended; nothing to export yet.</p>;
  }
  const latest = data.versions.at(-1)!;

  async function verifyLatest() {
    setVerify({ busy: true, report: null, error: null });
    try {
      // The latest manifest's JWS, checked by the server against its keys, log and TSA.
      const res = await fetch("/api/evidence/verify", {
        method: "POST",
        headers: { [ORG_HEADER]: orgId, "content-type": "application/jose", accept: "application/json" },
        body: latest.jws,
        credentials: "same-origin",
      });
      const body = (await res.json().catch(() => null)) as (VerificationReport & { error?: { message?: string } }) | null;
      if (!res.ok || !body) throw new Error(body?.error?.message ?? `Verification failed (${res.status}).`);
      setVerify({ busy: false, report: body, error: null });
      void mutate(); // the verification is on the custody record now
    } catch (err) {
      setVerify({ busy: false, report: null, error: errorMessage(err) });
    }
  }

  return (
    <div className="mt-1 space-y-2 text-sm" data-testid="call-evidence">
      <ol aria-label="Manifest versions" className="space-y-0.5">
        {data.versions.map((v) => (
          <li key={v.version} data-testid="manifest-version" className="text-xs">
            <span className="font-semibold">v{v.version}</span>{" "}
            <span className="font-mono" title={v.manifestSha256}>{short(v.manifestSha256)}</span>
            {v.leafIndex !== null ? <span className="text-muted"> · log entry {v.leafIndex}</span> : null}
            <span className="text-muted"> · sealed {new Date(v.sealedAt).toISOString().replace("T", " ").slice(0, 19)} UTC</span>
            {v.missing > 0 ? <span className="text-amber-800"> · {v.missing} expected item{v.missing === 1 ? "" : "s"} missing</span> : null}
          </li>
        ))}
      </ol>
      {data.head ? (
        <p className="text-xs text-muted" data-testid="evidence-head">
          In the organization&apos;s log of {data.head.treeSize} entr{data.head.treeSize === 1 ? "y" : "ies"}, root{" "}
          <span className="font-mono" title={data.head.rootHash}>{short(data.head.rootHash)}</span>, timestamped{" "}
          {new Date(data.head.timestampedAt).toISOString().replace("T", " ").slice(0, 19)} UTC by {data.head.tsa}.
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" onClick={() => void verifyLatest()} disabled={verify.busy}
          className="rounded border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium hover:bg-slate-100 disabled:opacity-60">
          {verify.busy ? "Verifying…" : "Verify"}
        </button>
        <a href={`/api/calls/${encodeURIComponent(callId)}/evidence`} download data-testid="evidence-export"
          className="rounded border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium hover:bg-slate-100">
          Export bundle
        </a>
        <button type="button" onClick={() => {
          // Exports and verifications since the panel opened are on it: read it afresh.
          if (!custody) void mutate();
          setCustody((c) => !c);
        }} className="text-xs text-blue-700 underline">
          {custody ? "Hide" : "Show"} custody record ({data.custody.length})
        </button>
      </div>
      {verify.report ? (
        <p role="status" data-testid="evidence-verification" data-ok={verify.report.ok ? "true" : "false"}
          className={`text-xs ${verify.report.ok ? "text-green-800" : "text-danger"}`}>
          {verify.report.ok
            ? `Verified: v${latest.version} is signed by our key${verify.report.log ? `, in the log at entry ${verify.report.log.leafIndex} of ${verify.report.log.treeSize}` : ""}${verify.report.timestamp ? `, timestamped ${verify.report.timestamp.genTime}` : ""}.`
            : `Does not verify: ${verify.report.failures.map((f) => `${f.subject}${f.field ? ` (${f.field})` : ""}: ${f.message}`).join("; ")}`}
        </p>
      ) : null}
      {verify.error ? <p role="alert" className="text-xs text-danger">{verify.error}</p> : null}
      {custody ? (
        <ol aria-label="Custody record" className="space-y-0.5 text-xs" data-testid="custody-record">
          {data.custody.map((c) => (
            <li key={c.sequence}>
              #{c.sequence} {c.action} · {c.occurredAt.replace("T", " ").slice(0, 19)} UTC · {c.actorUserId ? `by ${c.actorUserId.slice(0, 8)}` : "by the system"}
              {c.sha256 ? <span className="font-mono"> · {short(c.sha256)}</span> : null}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

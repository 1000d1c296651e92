"use client";

import { useId, useState, type FormEvent } from "react";
import useSWR from "swr";
import { ApiError, apiFetch, errorMessage, swrFetcher, type ApiKey } from "@/components/shared/api-client";
import { ModalDialog } from "@/components/shared/modal-dialog";
import { WEBHOOK_EVENT_TYPES, type DeliveryView, type EndpointView, type WebhookEventType } from "@/lib/outbound/contracts";

/**
 * Outbound webhooks (docs/adr/0039), for owners and admins: add an endpoint (its secret shown
 * once), turn it on or off (with the reason it is off), rotate its secret, delete it; and the
 * delivery log — event, each attempt's status, latency and error — with Replay.
 */

const endpointsKey = (orgId: string): ApiKey => ["/api/outbound-webhooks/endpoints", orgId];
const deliveriesKey = (orgId: string): ApiKey => ["/api/outbound-webhooks/deliveries?limit=50", orgId];

export function WebhooksDialog({ orgId, onClose }: { orgId: string; onClose: () => void }) {
  return (
    <ModalDialog title="Webhooks" onClose={onClose} testId="webhooks-dialog">
      <div className="space-y-6 px-5 py-4">
        <Endpoints orgId={orgId} />
        <DeliveryLog orgId={orgId} />
      </div>
    </ModalDialog>
  );
}

function Endpoints({ orgId }: { orgId: string }) {
  const { data, error, isLoading, mutate } = useSWR<{ endpoints: EndpointView[] }, ApiError>(endpointsKey(orgId), swrFetcher);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function act(fn: () => Promise<unknown>) {
    setProblem(null);
    try {
      await fn();
      await mutate();
    } catch (err) {
      setProblem(errorMessage(err));
    }
  }

  return (
    <section aria-labelledby="webhook-endpoints">
      <h3 id="webhook-endpoints" className="text-base font-semibold">Endpoints</h3>
      {secret ? (
        <div role="status" className="mt-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm">
          <p>The signing secret for {secret.url}. Copy it now: it is not shown again.</p>
          <code className="mt-1 block break-all font-mono" data-testid="webhook-secret">{secret.secret}</code>
          <button type="button" className="mt-2 rounded border border-slate-300 px-3 py-1" onClick={() => setSecret(null)}>I have copied it</button>
        </div>
      ) : null}
      {problem ? <p role="alert" className="mt-2 text-sm text-red-700">{problem}</p> : null}
      {isLoading ? <p className="text-sm text-muted">Loading endpoints…</p> : null}
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(error)} <button type="button" className="underline" onClick={() => void mutate()}>Retry</button>
        </p>
      ) : null}
      <ul className="mt-2 space-y-2">
        {data?.endpoints.map((endpoint) => (
          <li key={endpoint.id} className="rounded border border-slate-200 p-3 text-sm">
            <p className="font-mono break-all">{endpoint.url}</p>
            {endpoint.description ? <p>{endpoint.description}</p> : null}
            <p className="text-muted">{endpoint.eventTypes.join(", ")}</p>
            <p>
              {endpoint.enabled ? "On" : <span className="text-red-700">Off: {endpoint.disabledReason}</span>}
              {endpoint.secrets.length > 1 ? " · two secrets sign until the older one ends" : null}
            </p>
            <div className="mt-2 flex flex-wrap gap-2">
              <button type="button" className="rounded border border-slate-300 px-2 py-0.5"
                onClick={() => void act(() => apiFetch(`/api/outbound-webhooks/endpoints/${endpoint.id}`, { orgId, method: "PATCH", body: { enabled: !endpoint.enabled } }))}>
                {endpoint.enabled ? "Turn off" : "Turn on"}
              </button>
              <button type="button" className="rounded border border-slate-300 px-2 py-0.5"
                onClick={() => void act(async () => {
                  const res = await apiFetch<{ secret: string }>(`/api/outbound-webhooks/endpoints/${endpoint.id}/rotate-secret`, { orgId, method: "POST", body: {} });
                  setSecret({ url: endpoint.url, secret: res.secret });
                })}>
                Rotate secret
              </button>
              <button type="button" className="rounded border border-red-300 px-2 py-0.5 text-red-800"
                onClick={() => {
                  if (window.confirm(`Delete the endpoint ${endpoint.url} and its delivery log?`)) void act(() => apiFetch(`/api/outbound-webhooks/endpoints/${endpoint.id}`, { orgId, method: "DELETE" }));
                }}>
                Delete
              </button>
            </div>
          </li>
        ))}
        {data && data.endpoints.length === 0 ? <li className="text-sm text-muted">No endpoints yet.</li> : null}
      </ul>
      <AddEndpoint orgId={orgId} onAdded={(url, s) => { setSecret({ url, secret: s }); void mutate(); }} />
    </section>
  );
}

function AddEndpoint({ orgId, onAdded }: { orgId: string; onAdded: (url: string, secret: string) => void }) {
  const id = useId();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<WebhookEventType[]>(["call.completed", "manifest.sealed"]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const res = await apiFetch<{ secret: string }>("/api/outbound-webhooks/endpoints", { orgId, method: "POST", body: { url, description, eventTypes: types } });
      onAdded(url, res.secret);
      setUrl("");
      setDescription("");
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} className="mt-3 space-y-2 rounded border border-slate-200 p-3 text-sm" aria-labelledby={`${id}-h`}>
      <h4 id={`${id}-h`} className="font-medium">Add an endpoint</h4>
      <label className="block">URL (https)
        <input required type="url" value={url} onChange={(e) => setUrl(e.target.value)} className="mt-1 block w-full rounded border border-slate-300 px-2 py-1" />
      </label>
      <label className="block">Description
        <input value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} className="mt-1 block w-full rounded border border-slate-300 px-2 py-1" />
      </label>
      <fieldset>
        <legend>Events</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label key={type} className="mr-3 inline-flex items-center gap-1">
            <input type="checkbox" checked={types.includes(type)} onChange={(e) => setTypes((t) => (e.target.checked ? [...t, type] : t.filter((x) => x !== type)))} />
            <span className="font-mono">{type}</span>
          </label>
        ))}
      </fieldset>
      {problem ? <p role="alert" className="text-red-700">{problem}</p> : null}
      <button type="submit" disabled={busy || types.length === 0} className="rounded bg-slate-900 px-3 py-1 font-medium text-white disabled:opacity-60">Add endpoint</button>
    </form>
  );
}

function DeliveryLog({ orgId }: { orgId: string }) {
  const { data, error, isLoading, mutate } = useSWR<{ deliveries: DeliveryView[] }, ApiError>(deliveriesKey(orgId), swrFetcher);
  const [problem, setProblem] = useState<string | null>(null);

  async function replay(delivery: DeliveryView) {
    setProblem(null);
    try {
      await apiFetch(`/api/outbound-webhooks/deliveries/${delivery.id}/replay`, { orgId, method: "POST" });
      await mutate();
    } catch (err) {
      setProblem(errorMessage(err));
    }
  }

  return (
    <section aria-labelledby="webhook-deliveries">
      <div className="flex items-center gap-2">
        <h3 id="webhook-deliveries" className="text-base font-semibold">Delivery log</h3>
        <button type="button" className="ml-auto rounded border border-slate-300 px-2 py-0.5 text-sm" onClick={() => void mutate()}>Refresh</button>
      </div>
      {problem ? <p role="alert" className="text-sm text-red-700">{problem}</p> : null}
      {isLoading ? <p className="text-sm text-muted">Loading deliveries…</p> : null}
      {error ? <p role="alert" className="text-sm text-red-700">{errorMessage(error)}</p> : null}
      {data && data.deliveries.length === 0 ? <p className="text-sm text-muted">Nothing delivered yet.</p> : null}
      {data && data.deliveries.length > 0 ? (
        <table className="mt-2 w-full text-left text-sm">
          <thead>
            <tr><th scope="col">Event</th><th scope="col">When</th><th scope="col">Status</th><th scope="col">Attempts (status, latency, error)</th><th scope="col"><span className="sr-only">Replay</span></th></tr>
          </thead>
          <tbody>
            {data.deliveries.map((d) => (
              <tr key={d.id} className="border-t border-slate-200 align-top">
                <td className="font-mono">{d.eventType}<br /><span className="text-xs text-muted">{d.webhookId}</span></td>
                <td>{new Date(d.occurredAt).toLocaleString()}</td>
                <td>{d.status}{d.status === "pending" && d.nextAttemptAt ? <><br /><span className="text-xs text-muted">next {new Date(d.nextAttemptAt).toLocaleString()}</span></> : null}</td>
                <td>
                  <ol className="space-y-0.5">
                    {d.attempts.map((a) => (
                      <li key={a.attempt}>#{a.attempt}{a.replay ? " (replay)" : ""}: {a.statusCode ?? "no answer"}, {a.latencyMs} ms{a.error ? ` — ${a.error}` : ""}</li>
                    ))}
                  </ol>
                </td>
                <td>
                  {d.status !== "pending" ? (
                    <button type="button" className="rounded border border-slate-300 px-2 py-0.5" onClick={() => void replay(d)}>
                      Replay<span className="sr-only"> {d.eventType} {d.webhookId}</span>
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

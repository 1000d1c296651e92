import "server-only";
import { config } from "@/lib/config";
import { NotFoundError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { filesystemStorage } from "@/lib/storage";
import { isStoragePath } from "@/lib/storage/paths";
import { serveStoredObject } from "@/lib/storage/serve";
import { verifyStorageSignature } from "@/lib/storage/signed-url";

/**
 * GET/HEAD /api/storage/<path>?exp=&sig= — the filesystem adapter's signed URLs (embedded
 * default). Public in the auth gate: the signature is the authorization, as with Supabase's
 * signed URLs. Bad or expired signature → 403; no such object → 404. In Supabase mode signed
 * URLs point at Supabase itself and this route has nothing to serve.
 */
export const dynamic = "force-dynamic";

type Params = { path: string[] };

const handler = route<Params>(async (req, { params }) => {
  const objectPath = (params.path ?? []).join("/");
  const url = new URL(req.url);
  const remaining = verifyStorageSignature(
    { path: objectPath, exp: url.searchParams.get("exp"), sig: url.searchParams.get("sig") },
    config().sessionSecret ?? "",
  );
  const store = filesystemStorage();
  if (!store || !isStoragePath(objectPath)) throw new NotFoundError("No such stored object.");
  return serveStoredObject(store, objectPath, req, remaining);
});

export const GET = handler;
export const HEAD = handler;

import "server-only";
import path from "node:path";
import { config } from "@/lib/config";
import { FilesystemStorage } from "@/lib/storage/filesystem";
import { SupabaseStorage } from "@/lib/storage/supabase";
import type { BlobStorage } from "@/lib/storage/types";

export type { BlobStorage } from "@/lib/storage/types";

/**
 * The process's blob storage, chosen once from `config().storage`: the filesystem under
 * STORAGE_DIR in the embedded default, Supabase Storage's bucket in production.
 */
let instance: BlobStorage | undefined;

export function storage(): BlobStorage {
  instance ??= createStorage();
  return instance;
}

/** Forget the adapter (tests that change the configuration). */
export function resetStorage(): void {
  instance = undefined;
}

function createStorage(): BlobStorage {
  const cfg = config();
  if (cfg.storage.kind === "supabase") {
    if (!cfg.supabase) throw new Error("Supabase storage needs the Supabase configuration.");
    return new SupabaseStorage({ url: cfg.supabase.url, secretKey: cfg.supabase.secretKey, bucket: cfg.storage.bucket });
  }
  return new FilesystemStorage({
    root: path.resolve(process.cwd(), cfg.storage.dir),
    publicBaseUrl: cfg.publicBaseUrl,
    secret: cfg.sessionSecret,
  });
}

/** The filesystem adapter when it is the one configured (the storage route serves only it). */
export function filesystemStorage(): FilesystemStorage | undefined {
  const current = storage();
  return current instanceof FilesystemStorage ? current : undefined;
}

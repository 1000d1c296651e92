import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { resetConfig } from "@/lib/config";
import { openZipBundle } from "@/lib/evidence/bundle-zip";
import { resetEvidenceAuthority } from "@/lib/evidence-sealing/authority";
import { resetStorage } from "@/lib/storage";

const ENV = ["STORAGE_DIR", "EVIDENCE_KEYS_DIR", "EVIDENCE_TSA_DIR"] as const;

/**
 * A test file's own storage, evidence key and local TSA, in a fresh temporary directory: the
 * environment names them and the cached config, storage and authority are reset. Returns the
 * directory; `clearEvidenceDirs` undoes it (and unsets any `extra` variables the file set).
 */
export async function useEvidenceDirs(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  process.env.STORAGE_DIR = path.join(dir, "storage");
  process.env.EVIDENCE_KEYS_DIR = path.join(dir, "keys");
  process.env.EVIDENCE_TSA_DIR = path.join(dir, "tsa");
  resetConfig();
  resetStorage();
  resetEvidenceAuthority();
  return dir;
}

export async function clearEvidenceDirs(dir: string, extra: readonly string[] = []): Promise<void> {
  for (const name of [...ENV, ...extra]) delete process.env[name];
  resetConfig();
  resetStorage();
  resetEvidenceAuthority();
  await rm(dir, { recursive: true, force: true });
}

/** Every file of a ZIP on disk (a bundle or a bulk archive), read whole: test-sized archives only. */
export async function unzip(file: string): Promise<Map<string, Uint8Array>> {
  const bundle = await openZipBundle(file);
  const files = new Map<string, Uint8Array>();
  for (const name of bundle.names()) files.set(name, (await bundle.read(name))!);
  bundle.close();
  return files;
}

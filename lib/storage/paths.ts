import { ValidationError } from "@/lib/errors";

/**
 * Object paths are relative, slash-separated, and spelled from a small alphabet, so one string
 * means the same object on disk, in Supabase Storage and inside a signed URL (no encoding).
 * Segments may not start with a dot: that refuses `.` and `..` and keeps dot-names free for the
 * filesystem adapter's own temporary and metadata files.
 */
const PATH_RE = /^[A-Za-z0-9._/-]+$/;
const MAX_PATH_LENGTH = 1024;

export class StoragePathError extends ValidationError {}

export function assertStoragePath(path: string): void {
  if (typeof path !== "string" || path.length === 0 || path.length > MAX_PATH_LENGTH) {
    throw new StoragePathError(`Storage path must be 1 to ${MAX_PATH_LENGTH} characters.`);
  }
  if (!PATH_RE.test(path)) {
    throw new StoragePathError("Storage path may contain only letters, digits, '.', '_', '-' and '/'.");
  }
  if (path.includes("..")) throw new StoragePathError("Storage path may not contain '..'.");
  if (path.startsWith("/")) throw new StoragePathError("Storage path must be relative.");
  for (const segment of path.split("/")) {
    if (segment === "") throw new StoragePathError("Storage path may not have empty segments or a trailing '/'.");
    if (segment.startsWith(".")) throw new StoragePathError("Storage path segments may not start with '.'.");
  }
}

export function isStoragePath(path: string): boolean {
  try {
    assertStoragePath(path);
    return true;
  } catch {
    return false;
  }
}

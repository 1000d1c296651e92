import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/**
 * A pass-through that hashes (SHA-256) and counts what flows through it: the bulk export
 * records each inner bundle's hash and size as it streams into the archive, and the archive
 * verifier checks them as it reads the archive back, neither holding a bundle in memory.
 */
export function measuringStream(): { stream: Transform; measured: () => { sha256: string; bytes: number } } {
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, measured: () => ({ sha256: hash.digest("hex"), bytes }) };
}

import "server-only";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * A secret the embedded default keeps in a file of its own (the webhook secrets key, the number
 * keys): written once with `content()` (mode 0600, in a 0700 directory) unless it exists, with
 * `wx` so processes racing to make it all read the first one's; returns what the file holds.
 */
export async function secretFileOnce(dir: string, name: string, content: () => string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  try {
    await writeFile(file, content(), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  await chmod(file, 0o600).catch(() => undefined);
  return (await readFile(file, "utf8")).trim();
}

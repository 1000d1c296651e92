import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * `npm ci` installs exactly what package-lock.json says. A lockfile written on one platform
 * without the other platforms' optional native packages (Next's SWC builds, Tailwind's oxide,
 * esbuild's binaries) makes `npm install` rewrite it on every other machine and `npm ci` fail
 * there. Every optional dependency of every locked package must itself be locked.
 */
interface LockedPackage {
  optionalDependencies?: Record<string, string>;
}

function resolves(packages: Record<string, LockedPackage>, from: string, name: string): boolean {
  // npm's lookup: the package's own node_modules, then each enclosing one up to the root.
  for (let dir = from; ; ) {
    if (packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut === -1 ? "" : dir.slice(0, cut);
  }
}

describe("package-lock.json", () => {
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { lockfileVersion: number; packages: Record<string, LockedPackage> };

  it("is a v3 lockfile", () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it("locks every platform's optional native package, so npm ci works on macOS, Windows and ARM too", () => {
    const unlocked: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
        if (!resolves(lock.packages, path, name)) unlocked.push(`${path || "(root)"} → ${name}`);
      }
    }
    expect(unlocked).toEqual([]);
  });
});

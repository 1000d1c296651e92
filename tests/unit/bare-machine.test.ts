import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The README's two commands work on a machine with only Node and npm: nothing the app, the
 * simulator or the tests run comes from the OS package manager. These are the ways that broke
 * before (issue 16): CI installing what a newcomer lacks, and code spawning audio tools.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = ["app", "components", "lib", "scripts", "tests", "supabase"];
const SOURCE = /\.(ts|tsx|mts|mjs|js|cjs)$/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    return statSync(full).isDirectory() ? sources(full) : SOURCE.test(name) ? [full] : [];
  });
}

const files = SOURCE_DIRS.flatMap((dir) => sources(path.join(ROOT, dir)));
const self = path.join(ROOT, "tests/unit/bare-machine.test.ts");

describe("a bare machine (Node and npm only)", () => {
  it("CI runs the README's test command and installs nothing from the OS", () => {
    const run = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    const commands = run.split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
    expect(commands.join("\n")).not.toMatch(/apt-get|apt |dpkg|sudo|brew|yum|apk add|curl|wget/);
    expect(commands).toContain("npm test");
    expect(commands.some((line) => /^npm ci\b/.test(line))).toBe(true);
  });

  it("the README begins with exactly the two commands", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.trim().split("\n").map((line) => line.replace(/\s+#.*$/, "").trim());
    expect(block).toEqual(["npm install && npm run dev", "npm install && npm test"]);
  });

  it("no code spawns sox, soxi or espeak-ng, and the simulator spawns nothing at all", () => {
    const spawning = /\b(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)\s*\(\s*["'`](?:sox|soxi|espeak|espeak-ng)["'`]/;
    const offenders = files.filter((file) => file !== self && spawning.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
    const simulator = files.filter((file) => file.startsWith(path.join(ROOT, "scripts/simulator")));
    expect(simulator.length).toBeGreaterThan(5);
    expect(simulator.filter((file) => /node:child_process|["']child_process["']/.test(readFileSync(file, "utf8")))).toEqual([]);
  });

  it("speech comes from the eSpeak NG WebAssembly package, a devDependency the app never imports", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    expect(pkg.devDependencies!["espeak-ng"]).toBeDefined();
    expect(pkg.dependencies!["espeak-ng"]).toBeUndefined();
    const shipped = files.filter((file) => /^(app|components|lib)\//.test(path.relative(ROOT, file)));
    const imports = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'][^"']*(?:espeak-ng|speech-worker|scripts\/simulator)[^"']*["']/;
    expect(shipped.filter((file) => imports.test(readFileSync(file, "utf8")))).toEqual([]);
  });

  it("browser tests never name a fixed system Chromium path as the only choice", () => {
    const config = readFileSync(path.join(ROOT, "playwright.config.ts"), "utf8");
    expect(config).not.toMatch(/executablePath:\s*process\.env\.CHROMIUM_PATH\s*\?\?\s*["']\/usr\/bin\/chromium["']/);
    expect(config).toMatch(/resolveBrowser/);
  });
});

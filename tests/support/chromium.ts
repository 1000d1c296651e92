import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LaunchOptions } from "@playwright/test";

/**
 * Which browser the Playwright tests launch. The order is:
 *   1. CHROMIUM_PATH, if set (it must be an executable file);
 *   2. on Linux, a system Chromium or Chrome on PATH, then /usr/bin/chromium;
 *   3. on Linux x64, the headless Chromium in the devDependency @sparticuz/chromium;
 *   4. on macOS and Windows, an installed Google Chrome (Playwright's "chrome" channel);
 *   5. otherwise an error saying what to install or set.
 * `planBrowser` is the decision on injected facts; `resolveBrowser` supplies the real ones.
 */

export interface BrowserFacts {
  platform: string;
  arch: string;
  env: Readonly<Record<string, string | undefined>>;
  /** True for an existing regular file the current user may execute. */
  isExecutable: (file: string) => boolean;
  /** @sparticuz/chromium is installed with its compressed binary. */
  sparticuzInstalled: boolean;
}

export type BrowserPlan =
  | { kind: "executable"; executablePath: string; label: string }
  | { kind: "channel"; channel: "chrome"; label: string }
  | { kind: "sparticuz" };

export type BrowserLaunchOptions = Pick<LaunchOptions, "executablePath" | "channel" | "env">;

export interface BrowserChoice {
  launchOptions: BrowserLaunchOptions;
  label: string;
}

export class BrowserNotFoundError extends Error {
  override name = "BrowserNotFoundError";
}

const LINUX_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
// The npm package carries only the x64 binary (arm64 ships as separate release assets).
const SPARTICUZ_ARCHES = ["x64"];

export function planBrowser(facts: BrowserFacts): BrowserPlan {
  const { platform, arch, env, isExecutable } = facts;

  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new BrowserNotFoundError(`CHROMIUM_PATH is set to ${fromEnv}, which is not an executable file. Point CHROMIUM_PATH at a Chromium or Chrome binary, or unset it to let the tests find one.`);
    }
    return { kind: "executable", executablePath: fromEnv, label: `browser from CHROMIUM_PATH (${fromEnv})` };
  }

  if (platform === "linux") {
    const dirs = (env.PATH ?? "").split(":").filter((dir) => dir !== "");
    const candidates = [...LINUX_NAMES.flatMap((name) => dirs.map((dir) => path.posix.join(dir, name))), "/usr/bin/chromium"];
    const found = candidates.find((file) => isExecutable(file));
    if (found) {
      const kind = path.posix.basename(found).startsWith("google-chrome") ? "Google Chrome" : "Chromium";
      return { kind: "executable", executablePath: found, label: `system ${kind} at ${found}` };
    }
    if (SPARTICUZ_ARCHES.includes(arch) && facts.sparticuzInstalled) return { kind: "sparticuz" };
  }

  const chrome = installedChrome(platform, env).find((file) => isExecutable(file));
  if (chrome) return { kind: "channel", channel: "chrome", label: `Google Chrome at ${chrome}` };

  throw new BrowserNotFoundError(notFoundMessage(platform, arch, facts.sparticuzInstalled));
}

/** Where Playwright's "chrome" channel looks on macOS and Windows. */
function installedChrome(platform: string, env: BrowserFacts["env"]): string[] {
  if (platform === "darwin") return ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"];
  if (platform === "win32") {
    return [env.LOCALAPPDATA, env.PROGRAMFILES, env["PROGRAMFILES(X86)"]]
      .filter((dir): dir is string => Boolean(dir))
      .map((dir) => path.win32.join(dir, "Google", "Chrome", "Application", "chrome.exe"));
  }
  return [];
}

function notFoundMessage(platform: string, arch: string, sparticuzInstalled: boolean): string {
  const steps = ["set CHROMIUM_PATH to the path of a Chromium or Chrome executable"];
  if (platform === "linux") {
    steps.push(`install Chromium or Google Chrome so that one of ${LINUX_NAMES.join(", ")} is on PATH (Debian/Ubuntu: apt-get install chromium)`);
    if (SPARTICUZ_ARCHES.includes(arch)) {
      if (!sparticuzInstalled) steps.push("run `npm install`, which brings the headless Chromium of the devDependency @sparticuz/chromium");
    } else {
      steps.push(`(the bundled @sparticuz/chromium is x64-only, so it cannot serve this ${arch} machine)`);
    }
  } else if (platform === "darwin" || platform === "win32") {
    steps.push("install Google Chrome (https://www.google.com/chrome/)");
  } else {
    steps.push(`install Chromium or Chrome; ${platform}/${arch} has no bundled browser for these tests`);
  }
  return `No Chromium or Chrome found for the browser tests (${platform}/${arch}). To run them:\n${steps.map((s) => `  - ${s}`).join("\n")}`;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The directory of @sparticuz/chromium's compressed files, or undefined when not installed. */
function sparticuzBinDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve("@sparticuz/chromium");
    const bin = path.join(path.dirname(entry), "..", "bin");
    return existsSync(path.join(bin, "chromium.br")) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export async function resolveBrowser(): Promise<BrowserChoice> {
  const binDir = sparticuzBinDir();
  const plan = planBrowser({
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    isExecutable: isExecutableFile,
    sparticuzInstalled: binDir !== undefined,
  });
  switch (plan.kind) {
    case "executable":
      return { launchOptions: { executablePath: plan.executablePath }, label: plan.label };
    case "channel":
      return { launchOptions: { channel: plan.channel }, label: plan.label };
    case "sparticuz":
      return sparticuzChromium(binDir!);
  }
}

/** Runs `--version`; the output, or the error text when the binary does not start. */
function probe(executable: string, env: NodeJS.ProcessEnv): { ok: true; version: string } | { ok: false; error: string } {
  const run = spawnSync(executable, ["--version"], { env, encoding: "utf8", timeout: 20_000 });
  const version = run.stdout?.trim() ?? "";
  // A damaged file can still exit 0 (an empty one runs as a shell script): expect "Chromium 153.…".
  if (run.status === 0 && /^Chromium \d+\./.test(version)) return { ok: true, version };
  return { ok: false, error: (run.error?.message || run.stderr?.trim() || `exit ${run.status}, output "${version}"`).trim() };
}

async function sparticuzChromium(binDir: string): Promise<BrowserChoice> {
  const { default: chromium, inflate } = await import("@sparticuz/chromium");
  // Inflates to os.tmpdir()/chromium on first use, then reuses that file.
  const executablePath = await chromium.executablePath();
  const env: Record<string, string> = {};

  let result = probe(executablePath, process.env);
  if (!result.ok && result.error.includes("error while loading shared libraries")) {
    // A bare system may lack NSS (libnss3, libnspr4): use the copies the package ships for Lambda.
    const libDir = path.join(await inflate(path.join(binDir, "al2023.tar.br")), "lib");
    env.LD_LIBRARY_PATH = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
    result = probe(executablePath, { ...process.env, ...env });
  }
  if (!result.ok) {
    throw new BrowserNotFoundError(
      `The headless Chromium of @sparticuz/chromium at ${executablePath} does not run (its --version says: ${result.error}).\n` +
        `Delete ${executablePath} to have it unpacked again, or set CHROMIUM_PATH to another Chromium or Chrome.`,
    );
  }
  // Without any system fontconfig setup, pages would render without text: use the fonts it unpacked.
  if (!process.env.FONTCONFIG_PATH && !process.env.FONTCONFIG_FILE && !existsSync("/etc/fonts/fonts.conf")) {
    env.FONTCONFIG_PATH = path.join(tmpdir(), "fonts");
  }

  const launchOptions: BrowserLaunchOptions = { executablePath };
  // Playwright replaces the browser's environment with `env`, so it carries the rest too.
  if (Object.keys(env).length > 0) launchOptions.env = { ...process.env, ...env };
  const extras = [env.LD_LIBRARY_PATH && "its own NSS libraries", env.FONTCONFIG_PATH && "its own fonts"].filter(Boolean);
  return { launchOptions, label: `${result.version} from @sparticuz/chromium${extras.length > 0 ? ` (with ${extras.join(" and ")})` : ""}` };
}

import { describe, expect, it } from "vitest";
import { type BrowserFacts, BrowserNotFoundError, planBrowser } from "@/tests/support/chromium";

const SYSTEM = "/usr/bin/chromium";
const MAC_CHROME = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
const WIN_CHROME = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";

/** A machine where exactly `executables` exist; everything else as given. */
function facts(over: Partial<BrowserFacts> & { executables?: string[] } = {}): BrowserFacts {
  const executables = new Set(over.executables ?? []);
  return {
    platform: "linux",
    arch: "x64",
    env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    isExecutable: (file) => executables.has(file),
    sparticuzInstalled: true,
    ...over,
  };
}

function notFound(f: BrowserFacts): string {
  try {
    planBrowser(f);
  } catch (error) {
    expect(error).toBeInstanceOf(BrowserNotFoundError);
    return (error as Error).message;
  }
  throw new Error("expected planBrowser to throw");
}

describe("choosing the browser for the Playwright tests", () => {
  it("takes CHROMIUM_PATH before a system Chromium and the bundled one", () => {
    const plan = planBrowser(facts({ env: { PATH: "/usr/bin", CHROMIUM_PATH: "/opt/chrome/chrome" }, executables: ["/opt/chrome/chrome", SYSTEM] }));
    expect(plan).toEqual({ kind: "executable", executablePath: "/opt/chrome/chrome", label: expect.stringContaining("CHROMIUM_PATH") });
  });

  it("takes CHROMIUM_PATH before Chrome on macOS and Windows too", () => {
    for (const f of [
      facts({ platform: "darwin", arch: "arm64", env: { CHROMIUM_PATH: "/x/chromium" }, executables: ["/x/chromium", MAC_CHROME] }),
      facts({ platform: "win32", env: { CHROMIUM_PATH: "C:\\x\\chrome.exe", PROGRAMFILES: "C:\\Program Files" }, executables: ["C:\\x\\chrome.exe", WIN_CHROME] }),
    ]) {
      expect(planBrowser(f)).toMatchObject({ kind: "executable", executablePath: f.env.CHROMIUM_PATH });
    }
  });

  it("refuses a CHROMIUM_PATH that is not executable, naming the variable, rather than falling back", () => {
    const message = notFound(facts({ env: { PATH: "/usr/bin", CHROMIUM_PATH: "/nope/chromium" }, executables: [SYSTEM] }));
    expect(message).toContain("CHROMIUM_PATH");
    expect(message).toContain("/nope/chromium");
  });

  it("treats an empty CHROMIUM_PATH as unset", () => {
    expect(planBrowser(facts({ env: { PATH: "/usr/bin", CHROMIUM_PATH: "" }, executables: [SYSTEM] }))).toMatchObject({ executablePath: SYSTEM });
  });

  it("takes a system Chromium or Chrome on PATH before the bundled one", () => {
    for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
      const file = `/usr/local/bin/${name}`;
      const plan = planBrowser(facts({ executables: [file] }));
      expect(plan).toMatchObject({ kind: "executable", executablePath: file, label: expect.stringContaining(file) });
    }
  });

  it("prefers chromium to google-chrome, and follows PATH order within a name", () => {
    expect(planBrowser(facts({ executables: ["/usr/local/bin/google-chrome", "/usr/bin/chromium"] }))).toMatchObject({ executablePath: "/usr/bin/chromium" });
    expect(planBrowser(facts({ executables: ["/usr/local/bin/chromium", "/usr/bin/chromium"] }))).toMatchObject({ executablePath: "/usr/local/bin/chromium" });
  });

  it("finds /usr/bin/chromium even when it is not on PATH", () => {
    expect(planBrowser(facts({ env: { PATH: "/opt/bin" }, executables: [SYSTEM] }))).toMatchObject({ kind: "executable", executablePath: SYSTEM });
    expect(planBrowser(facts({ env: {}, executables: [SYSTEM] }))).toMatchObject({ kind: "executable", executablePath: SYSTEM });
  });

  it("uses @sparticuz/chromium on Linux x64 when there is no system browser", () => {
    expect(planBrowser(facts())).toEqual({ kind: "sparticuz" });
  });

  it("does not use @sparticuz/chromium on Linux arm64, whose npm package has no arm64 binary", () => {
    const message = notFound(facts({ arch: "arm64" }));
    expect(message).toContain("CHROMIUM_PATH");
    expect(message).toContain("x64-only");
    expect(planBrowser(facts({ arch: "arm64", executables: [SYSTEM] }))).toMatchObject({ executablePath: SYSTEM });
  });

  it("asks for npm install on Linux x64 when @sparticuz/chromium is missing", () => {
    const message = notFound(facts({ sparticuzInstalled: false }));
    expect(message).toContain("npm install");
    expect(message).toContain("@sparticuz/chromium");
    expect(message).toContain("CHROMIUM_PATH");
  });

  it("uses Playwright's chrome channel on macOS and Windows when Chrome is installed", () => {
    expect(planBrowser(facts({ platform: "darwin", arch: "arm64", executables: [MAC_CHROME] }))).toMatchObject({ kind: "channel", channel: "chrome" });
    const win = facts({ platform: "win32", env: { PROGRAMFILES: "C:\\Program Files", LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" }, executables: [WIN_CHROME] });
    expect(planBrowser(win)).toMatchObject({ kind: "channel", channel: "chrome", label: expect.stringContaining(WIN_CHROME) });
  });

  it("never uses the Linux bundle or PATH lookup on macOS and Windows", () => {
    const mac = facts({ platform: "darwin", env: { PATH: "/usr/bin" }, executables: [SYSTEM] });
    expect(notFound(mac)).toContain("install Google Chrome");
    expect(notFound(facts({ platform: "win32", env: {} }))).toContain("install Google Chrome");
  });

  it("says what to do when nothing is found", () => {
    for (const f of [facts({ arch: "ia32" }), facts({ platform: "freebsd" }), facts({ platform: "freebsd", executables: [SYSTEM] })]) {
      const message = notFound(f);
      expect(message).toMatch(/^No Chromium or Chrome found/);
      expect(message).toContain("CHROMIUM_PATH");
      expect(message).toContain(`${f.platform}/${f.arch}`);
    }
    expect(notFound(facts({ arch: "ia32" }))).toContain("apt-get install chromium");
  });
});

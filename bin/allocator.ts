/**
 * The C allocator's setting for the app's processes (docs/adr/0032). Imported first by
 * bin/server.ts and bin/worker.ts, before anything allocates much.
 *
 * Node's native memory (the bytes of Buffers and of every request body chunk, zlib's and
 * OpenSSL's state, V8's compiler zones) comes from glibc's malloc. By default glibc serves an
 * allocation of 128 KiB or more with its own mmap, and returns it to the system when freed, but
 * then raises that threshold to the size just freed (up to 32 MiB): after the first large
 * Buffer, everything below it is carved from the main heap, whose freed memory goes back to
 * the system only from its very top. A burst of large bodies leaves that heap hundreds of MB
 * large, mostly free and never returned, and that was most of the RSS a storm left behind
 * (`npm run bench:soak`). A fixed threshold of 64 KiB stops the raising, and makes a request
 * body's 64 KiB chunks (and anything larger) mappings of their own, unmapped when freed.
 *
 * glibc reads its tunables once, when the process starts, so a process started without the
 * setting replaces itself (execve: same pid, same arguments) with one that has it. An operator
 * who sets `GLIBC_TUNABLES` with its own `glibc.malloc.mmap_threshold` keeps theirs. Other C
 * libraries (musl, macOS) ignore the variable, so nothing happens there.
 */
const SETTING = "glibc.malloc.mmap_threshold=65536";

const tunables = process.env.GLIBC_TUNABLES;
if (process.platform === "linux" && !tunables?.includes("glibc.malloc.mmap_threshold=")) {
  const env = { ...process.env, GLIBC_TUNABLES: tunables ? `${tunables}:${SETTING}` : SETTING };
  process.execve!(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
}

export {};

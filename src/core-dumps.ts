import { writeFileSync } from 'node:fs';

/**
 * Keeps this process's memory out of any core dump it makes, where the
 * platform allows it from JavaScript: on Linux, `/proc/self/coredump_filter`
 * set to 0 leaves every memory mapping (heap, stacks, file mappings) out of
 * the dump, so a crash, or a `SIGABRT` sent to the server, writes no secret
 * value to disk. Node cannot set `RLIMIT_CORE` or `PR_SET_DUMPABLE` without
 * native code: docs/isolation.md recommends `LimitCORE=0` (systemd) or
 * `ulimit -c 0` as well. Returns false where the file does not exist
 * (not Linux) or cannot be written.
 */
export function limitCoreDumps(): boolean {
  try {
    writeFileSync('/proc/self/coredump_filter', '0');
    return true;
  } catch {
    return false;
  }
}

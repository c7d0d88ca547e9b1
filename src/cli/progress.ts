/**
 * A single updating progress line on stderr, only when stderr is a terminal (CI logs and
 * pipes stay clean). Throttled to 10 updates a second.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): {
  update: (phase: string, done: number, total: number) => void;
  clear: () => void;
} {
  if (!stream.isTTY) return { update: () => {}, clear: () => {} };
  let last = 0;
  let shown = false;
  return {
    update(phase, done, total) {
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[2K${phase} ${done}/${total}`);
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

// Server-Sent Events with the bearer token. EventSource cannot send an Authorization header, so the
// stream is read with fetch; it reconnects (like EventSource) until the signal aborts it.
import { send } from "./http";

export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

export interface StreamOptions {
  signal: AbortSignal;
  /** Wait before reconnecting after the stream ended or failed. */
  retryMs?: number;
  onOpen?: () => void;
  /** The stream that was open has ended (it will be retried unless aborted). */
  onClose?: () => void;
}

function parse(block: string): StreamEvent | null {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue; // blank or a comment (keep-alive ping)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  return data.length ? { event, data: data.join("\n"), id } : null;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => { clearTimeout(timer); signal.removeEventListener("abort", done); resolve(); };
  const timer = setTimeout(done, ms);
  signal.addEventListener("abort", done);
});

/** Read `path` as an event stream, calling onEvent for each event, until options.signal aborts. */
export async function followStream(
  path: string, onEvent: (event: StreamEvent) => void, options: StreamOptions,
): Promise<void> {
  const { signal, retryMs = 5000 } = options;
  while (!signal.aborted) {
    let opened = false;
    try {
      const response = await send(path, { headers: { Accept: "text/event-stream" }, signal, cache: "no-store" });
      // 401: the session has ended (send() took care of it); other 4xx will not get better by retrying.
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) return;
      if (response.ok && response.body) {
        opened = true;
        options.onOpen?.();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // Lines may end in \r\n, \n or \r; a trailing \r waits for the next chunk.
          let text = buffer + value;
          const hold = text.endsWith("\r") ? "\r" : "";
          if (hold) text = text.slice(0, -1);
          const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
          buffer = (blocks.pop() ?? "") + hold;
          for (const block of blocks) {
            const event = parse(block);
            if (event) onEvent(event);
          }
        }
      }
    } catch {
      /* a network error or the abort: retried below unless aborted */
    } finally {
      if (opened) options.onClose?.();
    }
    if (signal.aborted) return;
    await sleep(retryMs, signal);
  }
}

// Posts a turn with @microsoft/fetch-event-source, which retries by itself when the connection drops, sending the same
// request again with `last-event-id`. It runs in Node as in a page that stays visible. Its default `onopen` (an event
// stream or an error) decides what counts as a good answer; onerror only records each failure and, past
// ARENA_MAX_ATTEMPTS requests, stops the library, which would otherwise retry forever. Prints one line of JSON.
import { observer, setting } from './observe.mjs';

globalThis.window = globalThis;
// The library listens for visibility changes even with openWhenHidden, and removes its listener when it ends.
globalThis.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
const { fetchEventSource } = await import('@microsoft/fetch-event-source');

const url = setting('ARENA_URL');
const token = setting('ARENA_TOKEN');
const body = setting('ARENA_BODY');
const idempotencyKey = setting('ARENA_IDEMPOTENCY_KEY', '');
const maxAttempts = Number(setting('ARENA_MAX_ATTEMPTS', '20'));
const deadline = Number(setting('ARENA_DEADLINE_MS', '90000'));

const seen = observer();
const failures = [];
const stop = new AbortController();
const overall = setTimeout(() => { stop.abort(); }, deadline);
let closed = false;

const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
if (idempotencyKey) {
  headers['idempotency-key'] = idempotencyKey;
}

try {
  await fetchEventSource(url, {
    method: 'POST',
    headers,
    body,
    fetch: seen.fetch,
    signal: stop.signal,
    openWhenHidden: true,
    onmessage: message => {
      // A blank line after a comment or a lone `retry:` reaches onmessage as an empty message.
      if (message.event || message.id || message.data) {
        seen.event(message.id, message.event || 'message', message.data);
      }
    },
    onclose: () => { closed = true; },
    onerror: error => {
      failures.push({ request: seen.result.requests.length, message: `${error.name}: ${error.message}` });
      seen.progress(`retrying after ${error.message}`);
      if (seen.result.requests.length >= maxAttempts) {
        throw new Error(`gave up after ${maxAttempts} requests`);
      }
    },
  });
  clearTimeout(overall);
  Object.assign(seen.result, { failures, closed_normally: closed });
  seen.finish(stop.signal.aborted ? 'deadline' : 'closed');
} catch (error) {
  clearTimeout(overall);
  Object.assign(seen.result, { failures, closed_normally: closed });
  seen.finish('gave-up', error);
}
process.exit(0);

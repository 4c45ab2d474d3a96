// Follows a session's resume URL with the `eventsource` package (the WhatWG EventSource for Node) the way a page would,
// never closing it on `done`: the server's answer to the reconnect after `done` decides whether the client stops. After
// `done` it waits ARENA_LINGER_INTERVALS reconnection times (the stream's `retry:`, else the library's 3 s) and counts
// the requests made meanwhile, then closes and prints its record as one line of JSON.
import { EventSource } from 'eventsource';
import { observer, setting } from './observe.mjs';

const url = setting('ARENA_URL');
const lingerIntervals = Number(setting('ARENA_LINGER_INTERVALS', '3'));
const deadline = Number(setting('ARENA_DEADLINE_MS', '90000'));
const libraryReconnect = 3000;

const seen = observer();
const source = new EventSource(url, { fetch: seen.fetch });
let opens = 0;
const errors = [];
source.onopen = () => { opens++; };
source.onerror = event => {
  // The stream's own `error` events share their name with the connection's failures, which are not MessageEvents.
  if (!(event instanceof MessageEvent)) {
    errors.push({ code: event.code ?? null, message: event.message ?? null, ready_state: source.readyState, after_done: seen.result.done_at_ms !== null });
    seen.progress(`connection-error ${event.code ?? ''} ${source.readyState}`);
  }
};
for (const name of ['start', 'delta', 'reasoning', 'error', 'finish', 'done', 'message']) {
  source.addEventListener(name, event => {
    if (event instanceof MessageEvent) {
      seen.event(event.lastEventId, name, event.data);
      if (name === 'done') {
        setTimeout(end, lingerIntervals * (seen.result.retry_ms ?? libraryReconnect), 'done');
      }
    }
  });
}

// The library unreferences its reconnect timer; this one keeps the process alive until the script has decided.
const overall = setTimeout(end, deadline, 'deadline');

function end(why) {
  clearTimeout(overall);
  const readyState = source.readyState;
  source.close();
  Object.assign(seen.result, { opens, connection_errors: errors, ready_state_at_end: readyState });
  seen.finish(why);
  process.exit(0);
}

import { api, authorizedHeaders, errorFrom, send } from './api.js';
import { readEvents } from './sse.js';

const gone = 'This session no longer exists. It may have been deleted.';
const runningKey = 'arena.runningTurn';
// How often in a row a dropped connection is picked up again before the columns say it broke off.
const reconnects = 3;

// A page being unloaded (a reload, a link) loses its streams. It must neither reconnect (Firefox lets such a request
// run to the end of the turn and holds the next page's resume of the same URL behind it) nor forget the running turn,
// which the next page picks up.
let unloading = false;
addEventListener('pagehide', () => {
  unloading = true;
});
addEventListener('pageshow', () => {
  unloading = false;
});

// The turn this tab is streaming: its session and the id of the last event shown, kept in sessionStorage so that a
// reload knows which turn to pick up. Null when none.
export function runningTurn() {
  try {
    return JSON.parse(sessionStorage.getItem(runningKey));
  } catch {
    return null;
  }
}

export function forgetRunningTurn(sessionId) {
  if (runningTurn()?.session === sessionId) {
    sessionStorage.removeItem(runningKey);
  }
}

// Sends one user turn to POST /api/messages/stream/ with the `sse` protocol and feeds every event to `turn` while it
// arrives. The turn is resumable: leaving the page or losing the connection does not end it on the server, so a
// dropped connection is picked up after the last event shown, and a reload picks up the whole turn (resumeTurn).
// Refusals before the first byte (404, 409, 413, …) throw an ApiError.
export async function streamTurn(sessionId, prompt, turn, signal) {
  turn.begin();
  // One key per turn: a start sent again with it (by the browser, a proxy or this page) follows the turn it started
  // instead of starting a second one.
  const key = crypto.randomUUID();
  let response = await sendTurn(sessionId, prompt, true, key, signal);
  if (response.status === 400 && await refusesResumable(response)) {
    // The gateway sent the turn to the legacy pipeline, which runs no resumable turn (and stored nothing, so the key
    // is still unused): send it as an ordinary one. Stop still works; leaving the page then ends the turn.
    response = await sendTurn(sessionId, prompt, false, key, signal);
  }
  if (!response.ok) {
    throw await errorFrom(response, { notFound: gone });
  }
  await follow(sessionId, response, turn, signal);
}

function sendTurn(sessionId, prompt, resumable, key, signal) {
  return send('/api/messages/stream/?protocol=sse', {
    method: 'POST',
    headers: authorizedHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream', 'Idempotency-Key': key }),
    body: JSON.stringify({ session_id: sessionId, messages: [{ role: 'user', content: prompt }], resumable }),
    cache: 'no-store',
    signal,
  });
}

async function refusesResumable(response) {
  const problem = await response.clone().json().catch(() => ({}));
  return Boolean(problem?.errors?.resumable);
}

// Picks up the session's turn from its first event (after a reload the page has lost what it showed; the server
// replays it at once, then continues live). False when the session has no turn to resume (204).
export async function resumeTurn(sessionId, turn, signal) {
  const response = await openResume(sessionId, null, signal);
  if (response.status === 204) {
    forgetRunningTurn(sessionId);
    return false;
  }
  await follow(sessionId, response, turn, signal);
  return true;
}

// Stop is not leaving: it asks the server to end the turn, whose stream then closes with each unfinished side
// cancelled. True when a turn was streaming.
export async function stopTurn(sessionId) {
  const answer = await api(`/api/sessions/${sessionId}/stop`, { method: 'POST', notFound: gone });
  return answer?.stopped === true;
}

async function follow(sessionId, response, turn, signal) {
  remember(sessionId, turn.lastEventId);
  for (let attempt = 0; ; attempt++) {
    if (await feed(sessionId, response, turn)) {
      break;
    }
    if (unloading) {
      return;
    }
    if (attempt === reconnects || signal?.aborted) {
      break;
    }
    try {
      response = await openResume(sessionId, turn.lastEventId, signal);
    } catch (error) {
      if (error.name === 'AbortError') {
        throw error;
      }
      break;
    }
    if (response.status === 204) {
      break;
    }
  }
  forgetRunningTurn(sessionId);
  turn.end();
}

async function openResume(sessionId, lastEventId, signal) {
  const headers = authorizedHeaders({ Accept: 'text/event-stream' });
  if (lastEventId !== null) {
    headers['Last-Event-ID'] = lastEventId;
  }
  const response = await send(`/api/sessions/${sessionId}/stream`, { headers, cache: 'no-store', signal });
  if (!response.ok) {
    throw await errorFrom(response, { notFound: gone });
  }
  return response;
}

// Feeds a response's `sse` events to `turn`; true once the turn's `done` arrived, false when the connection closed
// before it.
async function feed(sessionId, response, turn) {
  const events = readEvents(response.body);
  for (;;) {
    let next;
    try {
      next = await events.next();
    } catch (error) {
      if (error.name === 'AbortError') {
        throw error;
      }
      return false;
    }
    if (next.done) {
      return false;
    }
    turn.apply(next.value);
    if (next.value.event === 'done') {
      // Read to the end (the server closes right after done): a stream the page stops reading is aborted, not ended.
      try {
        for await (const _ of events) {
          // Nothing follows done.
        }
      } catch {
        // The turn is whole already: a cut after done loses nothing.
      }
      return true;
    }
    remember(sessionId, turn.lastEventId);
  }
}

function remember(session, lastEventId) {
  sessionStorage.setItem(runningKey, JSON.stringify({ session, last_event_id: lastEventId }));
}

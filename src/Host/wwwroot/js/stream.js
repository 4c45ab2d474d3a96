import { authorizedHeaders, errorFrom, send } from './api.js';
import { readEvents } from './sse.js';

// Sends one user turn to POST /api/messages/stream/ with the `sse` protocol and feeds every event to `turn` while it
// arrives. Refusals before the first byte (404, 409, 413, …) throw an ApiError; a stream that closes early leaves the
// unfinished columns marked as cut off.
export async function streamTurn(sessionId, prompt, turn, signal) {
  turn.begin();
  const response = await send('/api/messages/stream/?protocol=sse', {
    method: 'POST',
    headers: authorizedHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify({ session_id: sessionId, messages: [{ role: 'user', content: prompt }] }),
    signal,
  });
  if (!response.ok) {
    throw await errorFrom(response, { notFound: 'This session no longer exists. It may have been deleted.' });
  }
  await feedTurn(response, turn);
}

// Feeds a response's `sse` events to `turn` until the stream ends. Shared by every way a turn's stream is read (the
// stream request now; resuming a turn's stream after a reload, which sends `turn.lastEventId` back, the same way).
export async function feedTurn(response, turn) {
  const events = readEvents(response.body);
  for (;;) {
    let next;
    try {
      next = await events.next();
    } catch (error) {
      if (error.name === 'AbortError') {
        throw error;
      }
      break;
    }
    if (next.done) {
      break;
    }
    turn.apply(next.value);
  }
  turn.end();
}

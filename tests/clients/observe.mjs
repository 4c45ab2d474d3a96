// What both client scripts record the same way: each request the library makes (through the fetch it is given), each
// event it delivers, and a line on stderr for each, so that a test can act on the progress while the script runs.

/** Reads the scripts' parameters from the environment, where a test's token stays out of the process list. */
export function setting(name, fallback) {
  const value = process.env[name];
  if (value !== undefined && value !== '') {
    return value;
  }
  if (fallback === undefined) {
    throw new Error(`${name} is not set`);
  }
  return fallback;
}

export function observer() {
  const started = Date.now();
  const result = { requests: [], events: [], retry_ms: null, done_at_ms: null, ended: null, error: null };
  const elapsed = () => Date.now() - started;
  const progress = line => process.stderr.write(`${line}\n`);

  /** A fetch that counts every request and reads the `retry:` field off a copy of each body, which neither library exposes. */
  const fetch = async (input, init = {}) => {
    const request = {
      n: result.requests.length + 1,
      at_ms: elapsed(),
      after_done: result.done_at_ms !== null,
      method: init.method ?? 'GET',
      // fetch-event-source mutates the headers object it passed, so it is copied as it was sent.
      last_event_id: lastEventId(init.headers),
      idempotency_key: header(init.headers, 'idempotency-key'),
      status: null,
      content_type: null,
      failure: null,
    };
    result.requests.push(request);
    try {
      const response = await globalThis.fetch(input, init);
      request.status = response.status;
      request.content_type = response.headers.get('content-type');
      progress(`request ${request.n} ${request.status}`);
      if (!response.body) {
        return response;
      }
      const [forClient, forUs] = response.body.tee();
      sniffRetry(forUs, retry => { result.retry_ms = retry; });
      return new Response(forClient, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      request.failure = `${error.name}: ${error.message}`;
      progress(`request ${request.n} failed`);
      throw error;
    }
  };

  const event = (id, name, data) => {
    let parsed = data;
    try {
      parsed = JSON.parse(data);
    } catch {
      // Kept as text: a test compares what arrived, whatever it was.
    }
    result.events.push({ id: id === '' ? null : Number(id), event: name, data: parsed, at_ms: elapsed(), request: result.requests.length });
    progress(`event ${id} ${name}${parsed?.participant ? ` ${parsed.participant}` : ''}`);
    if (name === 'done' && result.done_at_ms === null) {
      result.done_at_ms = elapsed();
    }
  };

  const finish = (ended, error) => {
    result.ended = ended;
    result.error = error ? `${error.name ?? 'Error'}: ${error.message ?? error}` : null;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };

  return { result, fetch, event, finish, progress };
}

function header(headers, name) {
  if (!headers) {
    return null;
  }
  if (typeof headers.get === 'function') {
    return headers.get(name);
  }
  const key = Object.keys(headers).find(k => k.toLowerCase() === name);
  return key === undefined ? null : headers[key];
}

function lastEventId(headers) {
  return header(headers, 'last-event-id');
}

async function sniffRetry(body, onRetry) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        return;
      }
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop();
      for (const line of lines) {
        const match = /^retry: ?(\d+)$/.exec(line);
        if (match) {
          onRetry(Number(match[1]));
        }
      }
    }
  } catch {
    // The connection was cut or aborted: the client's own copy reports that.
  }
}

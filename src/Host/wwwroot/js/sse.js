// Reads a text/event-stream body (the `sse` protocol) as it arrives: yields { id, event, data } per event, with the
// id of the last event seen (what a reconnecting client sends back as Last-Event-ID). Comments (keep-alives) are skipped.
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let lastId = null;
  let type = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += value;
      let end;
      while ((end = lineEnd(buffer)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === '\r' && buffer[end + 1] === '\n' ? end + 2 : end + 1);
        if (line === '') {
          if (data.length > 0) {
            yield { id: lastId, event: type || 'message', data: data.join('\n') };
          }
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) {
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
        if (field === 'data') {
          data.push(fieldValue);
        } else if (field === 'event') {
          type = fieldValue;
        } else if (field === 'id') {
          lastId = fieldValue;
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function lineEnd(buffer) {
  const newline = buffer.indexOf('\n');
  const carriage = buffer.indexOf('\r');
  // A lone \r at the very end may be the first half of \r\n: wait for the next piece.
  if (carriage >= 0 && (newline < 0 || carriage < newline)) {
    return carriage === buffer.length - 1 ? -1 : carriage;
  }
  return newline;
}

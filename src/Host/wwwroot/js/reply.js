import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

// What a person reads for each way an answer can end. `model` is the column's label.
const failures = {
  rate_limited: model => `${model} hit its provider's rate limit.`,
  unauthorized: model => `${model} is not available: its provider refused Arena's credentials.`,
  unavailable: model => `${model} could not be reached.`,
  timeout: model => `${model} took too long to answer.`,
  truncated: model => `${model}'s answer broke off.`,
  bad_request: model => `${model}'s provider refused the request.`,
  cancelled: () => 'The answer was cancelled.',
};

const notes = {
  cancelled: 'The answer was stopped before it finished; what arrived is kept.',
  interrupted: 'The server stopped while writing this answer; what arrived is kept.',
  streaming: 'This answer was still being written when the page loaded, and the page could not follow it. Open the session again to see more.',
  lost: 'The connection to Arena broke off; the answer so far is shown. Open the session again from History to see what was saved.',
};

const badges = {
  waiting: 'Waiting',
  streaming: 'Streaming',
  success: 'Done',
  error: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
  lost: 'Connection lost',
};

const finishNotes = {
  length: 'stopped at the length limit',
  content_filter: "stopped by the provider's content filter",
};

// One model's answer in a turn: its text, status and speed. Live columns are fed stream events; stored ones are built
// from a message of GET /api/sessions/{id}/messages.
export class ReplyColumn {
  constructor({ participant, label }) {
    this.participant = participant;
    this.label = label;
    this.text = '';
    this.reasoning = '';
    this.state = 'waiting';
    this.sentAt = null;
    this.firstAt = null;
    this.metadata = null;
    this.dirty = false;
    this.reasoningDirty = false;
    this.badge = h('span', { class: 'badge', role: 'status' });
    this.metrics = h('p', { class: 'metrics' });
    this.heading = h('h3', { class: 'model' }, label);
    // Reasoning comes before the answer and is long; closed by default so the answers stay side by side at a glance.
    this.reasoningText = h('div', { class: 'reasoning-text' });
    this.reasoningBox = h('details', { class: 'reasoning', hidden: true },
      h('summary', {}, 'Reasoning'), this.reasoningText);
    this.body = h('div', { class: 'markdown' });
    this.note = h('p', { class: 'reply-note', hidden: true });
    this.actions = h('div', { class: 'reply-actions', hidden: true });
    this.element = h('section', { class: 'reply', dataset: { participant }, 'aria-label': `Answer of ${label}` },
      h('header', { class: 'reply-header' },
        h('span', { class: 'participant' }, participant.toUpperCase()),
        this.heading,
        this.badge),
      this.metrics, this.reasoningBox, this.body, this.note, this.actions);
    this.setState('waiting');
  }

  static fromMessage(message, label) {
    const column = new ReplyColumn({ participant: message.participant ?? 'a', label });
    column.text = message.content;
    column.reasoning = message.reasoning ?? '';
    column.reasoningDirty = true;
    column.metadata = message.metadata;
    column.setState(message.status);
    if (message.status === 'error') {
      column.showNote(failureText(message.metadata?.error, label));
    } else if (notes[message.status]) {
      column.showNote(notes[message.status]);
    }
    column.render(performance.now());
    return column;
  }

  get settled() {
    return !['waiting', 'streaming'].includes(this.state);
  }

  begin(sentAt) {
    this.sentAt = sentAt;
    this.setState('waiting');
  }

  // What came before a `start` belongs to an earlier telling of the same answer.
  restart() {
    if (this.text || this.reasoning) {
      this.text = '';
      this.reasoning = '';
      this.dirty = true;
      this.reasoningDirty = true;
    }
  }

  append(content, now) {
    this.arrived(now);
    this.text += content;
    this.dirty = true;
  }

  appendReasoning(content, now) {
    this.arrived(now);
    this.reasoning += content;
    this.reasoningDirty = true;
  }

  // Reasoning is output too: whichever comes first is the first chunk, as the server measures it.
  arrived(now) {
    if (this.firstAt === null) {
      this.firstAt = now;
      this.setState('streaming');
    }
  }

  // A battle's columns are anonymous until the vote; then they take the models' names.
  setLabel(label) {
    this.label = label;
    this.heading.textContent = label;
    this.element.setAttribute('aria-label', `Answer of ${label}`);
  }

  // A stopped answer and one whose server stopped are not failures of the model: they keep what arrived.
  fail(error) {
    if (error?.code === 'cancelled' || error?.code === 'interrupted') {
      this.setState(error.code);
      this.showNote(notes[error.code]);
      return;
    }
    this.setState('error');
    this.showNote(failureText(error, this.label));
  }

  finish(metadata) {
    this.metadata = metadata;
    if (!['error', 'cancelled', 'interrupted'].includes(this.state)) {
      this.setState(metadata.finish_reason === 'cancelled' ? 'cancelled' : 'success');
    }
    this.dirty = true;
  }

  loseConnection() {
    this.setState('lost');
    this.showNote(notes.lost);
  }

  setState(state) {
    this.state = state;
    this.element.dataset.state = state;
    this.element.setAttribute('aria-busy', String(!this.settled));
    this.badge.textContent = badges[state] ?? state;
  }

  // An action on this answer below it (an element), or none (null).
  offer(action) {
    this.actions.replaceChildren(...(action ? [action] : []));
    this.actions.hidden = !action;
  }

  showNote(text) {
    this.note.textContent = text;
    this.note.hidden = false;
    this.note.classList.toggle('alert', this.state === 'error' || this.state === 'lost');
  }

  // Repaints the text if it changed, and the speed figures (which move with the clock while streaming).
  render(now) {
    if (this.dirty || this.body.childElementCount === 0) {
      renderMarkdown(this.body, this.text);
      this.dirty = false;
    }
    if (this.reasoningDirty) {
      // Plain text: reasoning is read, not formatted, and stays as untrusted as the answer.
      this.reasoningText.textContent = this.reasoning;
      this.reasoningBox.hidden = this.reasoning.length === 0;
      this.reasoningDirty = false;
    }
    this.metrics.textContent = this.metricsText(now);
  }

  metricsText(now) {
    const parts = [];
    if (this.metadata) {
      const { ttft_ms: ttft, duration_ms: duration, usage, finish_reason: reason } = this.metadata;
      parts.push(ttft === null || ttft === undefined ? 'No first chunk' : `First chunk ${formatMs(ttft)}`);
      const tokens = usage?.completion_tokens;
      if (tokens > 0 && ttft !== null && duration > ttft) {
        parts.push(`${(tokens / ((duration - ttft) / 1000)).toFixed(1)} tok/s`);
      }
      if (tokens !== undefined) {
        parts.push(`${tokens} tokens`);
      }
      parts.push(`${formatMs(duration)} in all`);
      if (finishNotes[reason]) {
        parts.push(finishNotes[reason]);
      }
      return parts.join(' · ');
    }
    if (this.sentAt === null) {
      return '';
    }
    if (this.firstAt === null) {
      return this.settled ? 'No first chunk' : `Waiting for the first chunk… ${formatMs(now - this.sentAt)}`;
    }
    parts.push(`First chunk ${formatMs(this.firstAt - this.sentAt)}`);
    const seconds = (now - this.firstAt) / 1000;
    if (seconds > 0.2) {
      // Tokens are counted by the provider only at the end; until then about four characters make a token.
      parts.push(`≈ ${((this.text.length + this.reasoning.length) / 4 / seconds).toFixed(1)} tok/s`);
    }
    return parts.join(' · ');
  }
}

function failureText(error, label) {
  const headline = (failures[error?.code] ?? (model => `${model} failed.`))(label);
  return error?.message ? `${headline} ${error.message}` : headline;
}

function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

import { h } from './dom.js';
import { ReplyColumn } from './reply.js';

// One turn of a session: the person's message and one column per participant, side by side. A live turn is fed the
// events of the `sse` protocol (from the stream request, or from the resume of the turn's stream after a reload or a
// dropped connection), remembering the last event id; a stored turn is built from saved messages.
export class TurnView {
  constructor(prompt, participants) {
    this.columns = new Map(participants.map(p => [p.participant, new ReplyColumn(p)]));
    this.lastEventId = null;
    this.frame = 0;
    this.status = h('p', { class: 'turn-status', hidden: true });
    this.element = h('article', { class: 'turn' },
      h('div', { class: 'prompt' }, h('h2', { class: 'visually-hidden' }, 'You asked'), h('p', {}, prompt)),
      layOut(h('div', {}, [...this.columns.values()].map(c => c.element)), this.columns.size),
      this.status);
  }

  static fromStored(userMessage, replies, labelFor) {
    const turn = new TurnView(userMessage.content, []);
    const container = turn.element.querySelector('.replies');
    for (const reply of replies) {
      const column = ReplyColumn.fromMessage(reply, labelFor(reply));
      turn.columns.set(column.participant, column);
      container.append(column.element);
    }
    layOut(container, turn.columns.size);
    return turn;
  }

  setLabels(labels) {
    for (const [participant, label] of Object.entries(labels)) {
      this.columns.get(participant)?.setLabel(label);
    }
  }

  get settled() {
    return [...this.columns.values()].every(c => c.settled);
  }

  // Puts `actionFor(column)` below each answer: an element, or null for none.
  offer(actionFor) {
    for (const column of this.columns.values()) {
      column.offer(actionFor(column));
    }
  }

  // `sent`: the person sent the turn just now, so the columns time the first chunk; a resumed turn was sent earlier
  // and shows the server's figures once it ends.
  begin(sent = true) {
    const now = sent ? performance.now() : null;
    for (const column of this.columns.values()) {
      column.begin(now);
    }
    this.schedule();
  }

  apply({ id, event, data }) {
    this.lastEventId = id ?? this.lastEventId;
    const payload = JSON.parse(data);
    const column = this.columns.get(payload.participant);
    switch (event) {
      case 'delta':
        column?.append(payload.content, performance.now());
        break;
      case 'reasoning':
        column?.appendReasoning(payload.content, performance.now());
        break;
      case 'error':
        column?.fail(payload.error);
        break;
      case 'finish':
        column?.finish(payload);
        break;
      case 'start':
        // A turn replayed after its instance died starts over from what was stored: the start comes again.
        // `start` may name the model, but a battle's page never shows it before the vote, whatever the stream says.
        column?.restart();
        break;
      default:
        // `done` changes nothing on screen.
        break;
    }
    this.schedule();
  }

  // The stream closed: a column that never got its end broke off with the connection.
  end() {
    for (const column of this.columns.values()) {
      if (!column.settled) {
        column.loseConnection();
      }
    }
    this.schedule();
  }

  // The request failed before any answer started: say why in place of the columns.
  refuse(message) {
    this.refused = true;
    this.dispose();
    this.element.querySelector('.replies').hidden = true;
    this.status.textContent = message;
    this.status.classList.add('alert');
    this.status.setAttribute('role', 'alert');
    this.status.hidden = false;
  }

  dispose() {
    cancelAnimationFrame(this.frame);
  }

  // One repaint per frame however many chunks arrived, and a ticking clock while any column is still open.
  schedule() {
    if (this.frame || this.refused) {
      return;
    }
    this.frame = requestAnimationFrame(now => {
      this.frame = 0;
      for (const column of this.columns.values()) {
        column.render(now);
      }
      if (!this.settled) {
        this.schedule();
      }
    });
  }
}

// Three or four answers keep to one row that scrolls sideways where the screen is narrow, so the scroller takes focus
// (arrow keys then scroll it) and says what it holds.
function layOut(container, count) {
  container.className = `replies replies-${count}`;
  if (count > 2) {
    container.setAttribute('role', 'group');
    container.setAttribute('aria-label', `${count} answers`);
    container.tabIndex = 0;
  }
  return container;
}

import { api, ApiError } from '../api.js';
import { labeller } from '../catalog.js';
import { alertBox, h, sendOnEnter, show } from '../dom.js';
import { resumeTurn, runningTurn, stopTurn, streamTurn } from '../stream.js';
import { TurnView } from '../turn.js';
import { VotePanel } from '../vote.js';

const gone = 'This session no longer exists. It may have been deleted.';
const modeName = { direct: 'Direct', compare: 'Compare', battle: 'Battle' };
// The participants a session can have, in order: the session resource names each one's model as `model_<letter>`.
export const letters = ['a', 'b', 'c', 'd'];
const pending = new Map();

// The models of a session's participants, `a` first (none for a battle not yet voted on).
export function modelsOf(session) {
  return letters.map(p => session[`model_${p}`]).filter(Boolean);
}

// Remembers the first message of a session just created, for its view to send once it opens.
export function startWith(sessionId, prompt) {
  pending.set(sessionId, prompt);
}

// One session: its stored turns, then live turns as the person writes. Turns are resumable: leaving the view
// (`signal`) closes its stream but the turn runs on, and a turn still streaming when the view opens (after a reload,
// or from another tab) is followed live to its end. Stop ends a turn on the server.
export async function showSession(id, signal) {
  const turns = [];
  signal.addEventListener('abort', () => turns.forEach(t => t.dispose()));

  show(h('h1', {}, 'Session'), h('p', { class: 'loading' }, 'Loading the session…'));
  let session, messages, label;
  try {
    [session, messages, label] = await Promise.all([
      api(`/api/sessions/${id}`, { notFound: gone, signal }),
      api(`/api/sessions/${id}/messages`, { notFound: gone, signal }).then(list => list.items),
      labeller(),
    ]);
  } catch (error) {
    if (!signal.aborted) {
      show(h('h1', {}, 'Session'), alertBox(error.message), h('p', {}, h('a', { href: '#/new' }, 'Start a new chat')));
    }
    return;
  }
  if (signal.aborted) {
    return;
  }

  const battle = session.mode === 'battle';
  // A battle names its models only once voted on (the session then carries them); until then they are A and B.
  const anonymous = battle && !session.model_a;
  const models = modelsOf(session);
  const modelOf = Object.fromEntries(models.map((model, index) => [letters[index], model]));
  const labelOf = participant => anonymous ? `Model ${participant.toUpperCase()}` : label(modelOf[participant]);
  const participants = letters.slice(0, anonymous ? 2 : models.length).map(participant => ({ participant, label: labelOf(participant) }));

  const transcript = h('div', { class: 'transcript' });
  const storedLabel = reply => anonymous ? labelOf(reply.participant ?? 'a') : label(reply.model ?? modelOf[reply.participant]);
  const stored = storedTurns(messages, storedLabel);
  for (const turn of stored) {
    turns.push(turn);
    transcript.append(turn.element);
  }
  const last = messages.findLast(m => m.role === 'user');
  const unfinished = last && (runningTurn()?.session === id || messages.some(m => m.parent_id === last.id && m.status === 'streaming'));

  let revealed = !anonymous;
  let busy = false;
  const meta = h('p', { class: 'session-meta' });
  const describe = () => {
    const names = participants.map(p => p.label).join(' vs ');
    meta.textContent = anonymousNow() ? 'Battle · anonymous until you vote' : `${modeName[session.mode] ?? session.mode} · ${names}`;
  };
  const anonymousNow = () => battle && !revealed;

  const reveal = answer => {
    revealed = true;
    const names = { a: label(answer.model_a), b: label(answer.model_b) };
    participants.forEach(p => { p.label = names[p.participant]; });
    turns.forEach(t => t.setLabels(names));
    describe();
    return `Model A was ${names.a}; Model B was ${names.b}.`;
  };
  const vote = session.mode === 'direct' ? null : new VotePanel(id, {
    participants: participants.map(p => p.participant),
    battle,
    onRevealed: battle ? reveal : undefined,
  });
  if (battle && session.revealed_at) {
    vote.showVoted();
  }
  // The server takes a vote once a turn has ended on every side and nothing is streaming; a compare's latest turn, once
  // ended, offers to go on with any answer that succeeded on its own.
  const offerActions = () => {
    vote?.offer(!busy && turns.some(t => !t.refused && t.columns.size === participants.length && t.settled));
    const latest = turns.at(-1);
    const open = session.mode === 'compare' && !busy && latest?.settled && !latest.refused;
    turns.forEach(t => t.offer(column => open && t === latest && column.state === 'success' ? continueButton(column) : null));
  };
  describe();

  const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 3, required: true, placeholder: 'Write a follow-up…' });
  const submit = h('button', { type: 'submit' }, 'Send');
  const stop = h('button', { type: 'button', class: 'stop', hidden: true }, 'Stop');
  const turnNotice = h('div', { 'aria-live': 'polite' });
  const composer = h('form', { id: 'composer', class: 'composer' },
    h('label', { for: 'prompt', class: 'visually-hidden' }, 'Your message'), prompt, stop, submit);
  sendOnEnter(prompt, composer);

  stop.addEventListener('click', async () => {
    stop.disabled = true;
    try {
      // The turn's own stream then ends with the unfinished sides cancelled, which settles the columns.
      await stopTurn(id);
      turnNotice.replaceChildren();
    } catch (error) {
      turnNotice.replaceChildren(alertBox(error.message));
      stop.disabled = false;
    }
  });

  const streaming = on => {
    busy = on;
    submit.disabled = on;
    stop.hidden = !on;
    stop.disabled = false;
    offerActions();
  };

  composer.addEventListener('submit', event => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (text && !submit.disabled) {
      prompt.value = '';
      run(text);
    }
  });

  async function run(text) {
    const turn = new TurnView(text, participants);
    turns.push(turn);
    transcript.append(turn.element);
    turn.element.scrollIntoView({ block: 'start' });
    streaming(true);
    try {
      await streamTurn(id, text, turn, signal);
    } catch (error) {
      if (error.name === 'AbortError') {
        return;
      }
      if (!(error instanceof ApiError)) {
        console.error(error);
      }
      turn.refuse(error instanceof ApiError ? error.message : 'Something went wrong on this page.');
      prompt.value ||= text;
    }
    streaming(false);
    prompt.focus();
  }

  // Follows the last turn live in place of its stored rows, from its first event: the server replays what was sent
  // so far at once, then the rest as it comes. Where it has nothing to resume any more, the stored rows stay.
  async function resume() {
    const storedTurn = turns.pop();
    const turn = new TurnView(last.content, participants);
    turns.push(turn);
    storedTurn.element.replaceWith(turn.element);
    turn.begin(false);
    streaming(true);
    let resumed = false;
    try {
      resumed = await resumeTurn(id, turn, signal);
    } catch (error) {
      if (error.name === 'AbortError') {
        return;
      }
      if (!(error instanceof ApiError)) {
        console.error(error);
      }
      turnNotice.replaceChildren(alertBox(error instanceof ApiError ? error.message : 'Something went wrong on this page.'));
    }
    if (!resumed) {
      turn.dispose();
      turns[turns.length - 1] = storedTurn;
      turn.element.replaceWith(storedTurn.element);
    }
    streaming(false);
    prompt.focus();
  }

  // A new direct session with this column's side of the conversation; this one stays as it is.
  function continueButton(column) {
    const button = h('button', { type: 'button', class: 'secondary continue' },
      'Continue with this one', h('span', { class: 'visually-hidden' }, ` (${column.label})`));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const fork = await api(`/api/sessions/${id}/fork`, { method: 'POST', body: { participant: column.participant }, notFound: gone });
        location.hash = `#/session/${fork.id}`;
      } catch (error) {
        turnNotice.replaceChildren(alertBox(error.message));
        button.disabled = false;
      }
    });
    return button;
  }

  show(
    h('h1', {}, session.title),
    meta,
    transcript,
    ...(vote ? [vote.element] : []),
    turnNotice,
    composer);
  offerActions();

  const first = pending.get(id);
  pending.delete(id);
  if (first) {
    run(first);
  } else if (unfinished && stored.length > 0) {
    resume();
  } else {
    prompt.focus();
  }
}

// Groups stored messages into turns: each user message with the replies whose parent it is, in participant order.
function storedTurns(messages, labelFor) {
  const replies = new Map();
  for (const message of messages.filter(m => m.role === 'assistant')) {
    replies.set(message.parent_id, [...(replies.get(message.parent_id) ?? []), message]);
  }
  return messages
    .filter(m => m.role === 'user')
    .map(user => TurnView.fromStored(user, (replies.get(user.id) ?? []).sort((x, y) => (x.participant ?? '').localeCompare(y.participant ?? '')), labelFor));
}

import { api } from './api.js';
import { alertBox, h } from './dom.js';

// Two answers: the four choices of a battle. Three or four (a compare): one per participant, a tie, or all bad.
function choicesFor(participants) {
  if (participants.length === 2) {
    return [['a', 'A is better'], ['b', 'B is better'], ['tie', 'Tie'], ['both_bad', 'Both are bad']];
  }
  return [...participants.map(p => [p, `${p.toUpperCase()} is best`]), ['tie', 'Tie'], ['all_bad', 'All are bad']];
}

const chosen = {
  a: 'You voted for A.',
  b: 'You voted for B.',
  c: 'You voted for C.',
  d: 'You voted for D.',
  tie: 'You called it a tie.',
  both_bad: 'You found both answers bad.',
  all_bad: 'You found all the answers bad.',
};

// Why a vote was kept out of the leaderboard, as the person who cast it would put it.
const voidReasons = {
  side_failed: "This vote doesn't count: one side failed.",
  identity_leak: "This vote doesn't count: an answer gave away which model wrote it.",
  too_fast: "This vote doesn't count: it came too soon after the answers ended to have read them.",
  daily_limit: "This vote doesn't count: you have reached today's limit of counted votes.",
  not_anonymous: "This vote doesn't count: the models were known before the vote.",
};

const lastCountedKey = 'arena.lastCountedVote';

// When this tab's latest counted vote was cast (server time), so the leaderboard can tell whether it includes it yet.
export function lastCountedVoteAt() {
  return sessionStorage.getItem(lastCountedKey);
}

export function countedText(vote) {
  return vote.counted ? 'Your vote counts toward the leaderboard.' : voidReasons[vote.void_reason] ?? "This vote doesn't count.";
}

// The vote of a battle or a compare: a button per choice, shown once every side of a turn has ended, then what the
// vote said. `onRevealed(vote)` names a battle's models everywhere else on the page and returns a sentence that names
// them; a compare's models were known all along.
export class VotePanel {
  constructor(sessionId, { participants, battle, onRevealed = () => null }) {
    this.sessionId = sessionId;
    this.battle = battle;
    this.onRevealed = onRevealed;
    this.message = h('div');
    this.buttons = choicesFor(participants).map(([winner, text]) =>
      h('button', { type: 'button', class: 'vote-button', dataset: { winner }, onclick: () => this.cast(winner) }, text));
    this.content = h('div', { role: 'group', 'aria-labelledby': 'vote-heading' },
      h('h2', { id: 'vote-heading' }, participants.length === 2 ? 'Which answer is better?' : 'Which answer is best?'),
      h('div', { class: 'vote-buttons' }, this.buttons));
    // The whole panel is the live region, since the vote's answer replaces the buttons rather than joining the message.
    this.element = h('section', { id: 'vote', class: 'vote panel', hidden: true, 'aria-live': 'polite' }, this.content, this.message);
    this.done = false;
  }

  // Shown only while the person can vote: after a turn ended on both sides and before any other starts.
  offer(open) {
    this.element.hidden = this.done ? false : !open;
  }

  async cast(winner) {
    this.buttons.forEach(b => { b.disabled = true; });
    try {
      const vote = await api(`/api/sessions/${this.sessionId}/vote`, {
        method: 'POST',
        body: { winner },
        notFound: `This ${this.battle ? 'battle' : 'session'} no longer exists. It may have been deleted.`,
      });
      if (vote.counted) {
        sessionStorage.setItem(lastCountedKey, vote.created_at);
      }
      this.showResult(vote, this.onRevealed(vote));
    } catch (error) {
      this.message.replaceChildren(alertBox(error.message));
      this.buttons.forEach(b => { b.disabled = false; });
    }
  }

  showResult(vote, names) {
    this.done = true;
    const result = h('p', { id: 'vote-result', class: vote.counted ? 'vote-counted' : 'vote-void' }, countedText(vote));
    // replaceChildren writes a null out as the text "null": a compare's vote names nothing, so it adds no line.
    this.content.replaceChildren(
      h('h2', { id: 'vote-heading' }, chosen[vote.winner] ?? 'You voted.'),
      ...(names ? [h('p', { class: 'revealed' }, names)] : []),
      result,
      this.actions());
    this.message.replaceChildren();
    this.element.hidden = false;
    this.element.querySelector('.next')?.focus();
  }

  // A battle voted on earlier (reopened from History): the server keeps the vote but does not send it back here.
  showVoted() {
    this.done = true;
    this.content.replaceChildren(h('h2', { id: 'vote-heading' }, 'You have voted on this battle.'), this.actions());
    this.element.hidden = false;
  }

  actions() {
    if (!this.battle) {
      return h('div', { class: 'row' }, h('a', { class: 'button next', href: '#/new' }, 'New chat'));
    }
    return h('div', { class: 'row' },
      h('a', { class: 'button next new-battle', href: '#/battle' }, 'New battle'),
      h('a', { href: '#/leaderboard' }, 'See the leaderboard'));
  }
}

import { authorizedHeaders, errorFrom, send } from '../api.js';
import { labeller } from '../catalog.js';
import { alertBox, formatDate, h, show } from '../dom.js';
import { lastCountedVoteAt } from '../vote.js';

// While the first computation runs the server answers 202 with Retry-After; a snapshot older than this tab's latest
// counted vote is re-read after a short wait, because the server recomputes soon after a vote.
const staleRetryMs = 2000;

// The ratings with their 95% intervals, ranks, votes and speed; a toggle for length control.
export async function showLeaderboard(signal) {
  const toggle = h('input', { type: 'checkbox', id: 'length-control', name: 'length-control' });
  const status = h('div', { id: 'leaderboard-status', 'aria-live': 'polite' });
  const board = h('div', { id: 'leaderboard' });
  show(
    h('h1', {}, 'Leaderboard'),
    h('p', { class: 'hint' }, 'From counted votes in anonymous battles. Bars show each rating\'s 95% interval; the dot is the rating.'),
    h('label', { class: 'choice toggle', for: 'length-control' }, toggle, 'Control for answer length'),
    status,
    board);

  let label = id => id;
  label = await labeller().catch(() => label);
  let generation = 0;

  async function load() {
    const mine = ++generation;
    const control = toggle.checked ? 'length' : 'none';
    const current = () => mine === generation && !signal.aborted;
    for (;;) {
      let answer;
      try {
        answer = await fetchLeaderboard(control, signal);
      } catch (error) {
        if (current() && error.name !== 'AbortError') {
          status.replaceChildren(alertBox(error.message));
        }
        return;
      }
      if (!current()) {
        return;
      }
      if (answer.computing) {
        status.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'The leaderboard is being computed…'));
      } else {
        board.replaceChildren(render(answer.document, label));
        board.dataset.control = answer.document.control;
        const stale = isBefore(answer.document.computed_at, lastCountedVoteAt());
        status.replaceChildren(stale ? h('p', { class: 'loading', role: 'status' }, 'Your latest vote is being added…') : '');
        if (!stale) {
          return;
        }
      }
      if (!await wait(answer.computing ? answer.retryAfterMs : staleRetryMs, signal) || !current()) {
        return;
      }
    }
  }

  toggle.addEventListener('change', load);
  await load();
}

async function fetchLeaderboard(control, signal) {
  const response = await send(`/api/leaderboard?control=${control}`, { headers: authorizedHeaders(), signal });
  if (response.status === 202) {
    const seconds = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    return { computing: true, retryAfterMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : 2) * 1000 };
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return { computing: false, document: await response.json() };
}

function render(document, label) {
  if (document.models.length === 0) {
    return h('p', { class: 'empty' }, 'No counted votes yet. ', h('a', { href: '#/battle' }, 'Vote in a battle'), ' to start the leaderboard.');
  }
  const low = Math.min(...document.models.map(m => m.rating_lower));
  const high = Math.max(...document.models.map(m => m.rating_upper));
  const span = Math.max(high - low, 1);
  const at = value => `${((value - low) / span) * 100}%`;

  const rows = document.models.map(model => h('tr', { dataset: { model: model.model } },
    h('td', { class: 'number' }, model.rank),
    h('td', { class: 'number' }, model.rank_upper_bound),
    h('th', { scope: 'row', class: 'model-name' }, label(model.model)),
    h('td', { class: 'number rating' }, Math.round(model.rating)),
    h('td', { class: 'interval-cell' }, intervalBar(model, at)),
    h('td', { class: 'number' }, model.votes),
    h('td', { class: 'number' }, `${model.wins} / ${model.ties} / ${model.losses}`),
    h('td', { class: 'number' }, speed(model.speed?.ttft_median_ms, formatMs)),
    h('td', { class: 'number' }, speed(model.speed?.ttft_p90_ms, formatMs)),
    h('td', { class: 'number' }, speed(model.speed?.output_tokens_per_second_median, v => v.toFixed(1))),
    h('td', { class: 'number' }, speed(model.speed?.error_rate, v => `${(v * 100).toFixed(1)}%`))));

  const header = (text, title) => h('th', { scope: 'col', title }, text);
  return h('div', {},
    h('p', { class: 'session-meta', id: 'leaderboard-summary' },
      `${document.counted_votes} counted ${document.counted_votes === 1 ? 'vote' : 'votes'} · computed `,
      h('time', { datetime: document.computed_at }, formatDate(document.computed_at)),
      document.control === 'length' && document.length_coefficient !== null && document.length_coefficient !== undefined
        ? ` · length coefficient ${document.length_coefficient.toFixed(2)} (95%: ${document.length_coefficient_lower.toFixed(2)} to ${document.length_coefficient_upper.toFixed(2)})`
        : ''),
    // On a narrow screen the table scrolls sideways: a keyboard can reach that only if the scrolling box takes focus.
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Models by rating' },
      h('table', { class: 'leaderboard' },
        h('caption', { class: 'visually-hidden' }, 'Models by rating'),
        h('thead', {}, h('tr', {},
          header('Rank'),
          header('Rank (UB)', 'The best rank this model could hold: 1 + the models whose 95% interval lies entirely above its own.'),
          header('Model'),
          header('Rating'),
          header('95% interval'),
          header('Votes'),
          header('Wins / ties / losses'),
          header('First chunk (median)'),
          header('First chunk (p90)'),
          header('Tokens/s (median)'),
          header('Errors', 'Share of replies that failed or were interrupted'))),
        h('tbody', {}, rows))));
}

// The interval as a bar on a scale shared by all rows. Positions go through the CSSOM: the page's
// Content-Security-Policy refuses inline style attributes.
function intervalBar(model, at) {
  const lower = Math.round(model.rating_lower);
  const upper = Math.round(model.rating_upper);
  const bar = h('span', { class: 'interval-bar' });
  bar.style.setProperty('--from', at(model.rating_lower));
  bar.style.setProperty('--to', at(model.rating_upper));
  bar.style.setProperty('--at', at(model.rating));
  return h('span', { class: 'interval', role: 'img', 'aria-label': `95% interval ${lower} to ${upper}` },
    bar, h('span', { class: 'interval-text' }, `${lower}–${upper}`));
}

function speed(value, format) {
  return value === null || value === undefined ? '–' : format(value);
}

function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function isBefore(computedAt, voteAt) {
  return voteAt !== null && Date.parse(computedAt) < Date.parse(voteAt);
}

// Resolves true after `ms`, or false at once when the view is left.
function wait(ms, signal) {
  return new Promise(resolve => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(false);
    }, { once: true });
  });
}

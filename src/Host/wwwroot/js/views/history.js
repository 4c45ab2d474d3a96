import { api } from '../api.js';
import { labeller } from '../catalog.js';
import { alertBox, formatDate, h, show } from '../dom.js';
import { modelsOf } from './session.js';

const pageSize = 20;

// The person's sessions, newest first, a page at a time.
export async function showHistory(signal) {
  const list = h('ol', { id: 'sessions', class: 'session-list' });
  const more = h('button', { type: 'button', hidden: true }, 'Show older sessions');
  const message = h('div', { 'aria-live': 'polite' });
  let cursor = null;
  let label = id => id;

  async function loadPage() {
    more.disabled = true;
    try {
      const query = new URLSearchParams({ limit: String(pageSize) });
      if (cursor) {
        query.set('cursor', cursor);
      }
      const page = await api(`/api/sessions?${query}`, { signal });
      for (const session of page.items) {
        list.append(item(session, label));
      }
      cursor = page.next_cursor ?? null;
      more.hidden = cursor === null;
      if (list.childElementCount === 0) {
        message.replaceChildren(h('p', {}, 'No sessions yet. ', h('a', { href: '#/new' }, 'Start one'), '.'));
      }
    } catch (error) {
      if (error.name !== 'AbortError') {
        message.replaceChildren(alertBox(error.message));
      }
    }
    more.disabled = false;
  }

  more.addEventListener('click', loadPage);
  show(h('h1', {}, 'History'), message, list, more);
  label = await labeller().catch(() => label);
  await loadPage();
}

function item(session, label) {
  return h('li', {},
    h('a', { href: `#/session/${session.id}` }, session.title),
    h('p', { class: 'session-meta' },
      `${kind(session, label)} · `,
      h('time', { datetime: session.created_at }, formatDate(session.created_at))));
}

// A battle not yet voted on names no model (the server leaves them out); one voted on names both.
function kind(session, label) {
  switch (session.mode) {
    case 'battle':
      return session.model_a ? `Battle · ${label(session.model_a)} vs ${label(session.model_b)}` : 'Battle · not voted yet';
    case 'compare':
      return `Compare · ${modelsOf(session).map(label).join(' vs ')}`;
    default:
      return `Direct · ${label(session.model_a)}`;
  }
}

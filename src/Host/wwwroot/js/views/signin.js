import { api, ApiError } from '../api.js';
import { requestDevelopmentToken, signIn, signOut } from '../auth.js';
import { alertBox, h, show } from '../dom.js';

// Sign-in: a development server issues a token for a typed name; anywhere, a person can paste a bearer token.
export function showSignIn({ notice, next }) {
  const message = h('div', { class: 'messages', 'aria-live': 'polite' }, notice ? alertBox(notice) : null);
  const say = text => message.replaceChildren(alertBox(text));

  const name = h('input', { id: 'sign-in-name', name: 'name', autocomplete: 'username', required: true, maxlength: 64 });
  const byName = h('form', { id: 'sign-in-by-name', class: 'panel' },
    h('h2', {}, 'With a name (development)'),
    h('p', { class: 'hint' }, 'A development server signs a token for the name you type.'),
    h('label', { for: 'sign-in-name' }, 'Your name'),
    h('div', { class: 'row' }, name, h('button', { type: 'submit' }, 'Sign in')));

  const pasted = h('textarea', { id: 'sign-in-token', name: 'token', rows: 3, required: true, spellcheck: 'false', autocomplete: 'off' });
  const byToken = h('form', { id: 'sign-in-by-token', class: 'panel' },
    h('h2', {}, 'With a bearer token'),
    h('p', { class: 'hint' }, 'Paste a token from your identity provider (or from ', h('code', {}, 'dotnet user-jwts create'), ').'),
    h('label', { for: 'sign-in-token' }, 'Bearer token'),
    pasted,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Use this token')));

  byName.addEventListener('submit', async event => {
    event.preventDefault();
    const response = await requestDevelopmentToken(name.value).catch(() => null);
    if (response?.status === 404) {
      byName.hidden = true;
      say('This server does not issue development tokens. Paste a bearer token instead.');
      pasted.focus();
      return;
    }
    if (!response?.ok) {
      say(response?.status === 400 ? 'Please type a name of 1 to 64 characters.' : 'Arena could not be reached. Try again.');
      return;
    }
    await accept((await response.json()).token);
  });

  byToken.addEventListener('submit', async event => {
    event.preventDefault();
    await accept(pasted.value.trim().replace(/^Bearer\s+/i, ''));
  });

  async function accept(token) {
    signIn(token);
    try {
      // Only the server can tell whether it trusts the token; asking now beats failing on the first real request.
      await api('/api/models');
      location.hash = next && next !== '#/signin' ? next : '#/battle';
    } catch (error) {
      signOut();
      say(error instanceof ApiError && error.status === 401 ? 'Arena did not accept this token.' : error.message);
    }
  }

  show(h('h1', {}, 'Sign in'), message, h('div', { class: 'sign-in' }, byName, byToken));
}

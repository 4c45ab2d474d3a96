import { signedOut } from './api.js';
import { displayName, signOut, token } from './auth.js';
import { h, show } from './dom.js';
import { showBattle } from './views/battle.js';
import { showCompose } from './views/compose.js';
import { showHistory } from './views/history.js';
import { showLeaderboard } from './views/leaderboard.js';
import { showSession } from './views/session.js';
import { showSignIn } from './views/signin.js';

// Each view gets a signal that aborts when the person leaves it: its requests and streams end, and a view still
// loading never paints over the next one.
const routes = [
  [/^#\/battle$/, () => showBattle()],
  [/^#\/leaderboard$/, (match, signal) => showLeaderboard(signal)],
  [/^#\/new$/, (match, signal) => showCompose(signal)],
  [/^#\/history$/, (match, signal) => showHistory(signal)],
  [/^#\/session\/([0-9a-f-]{36})$/i, (match, signal) => showSession(match[1], signal)],
];

let current = null;
let notice = null;
let next = null;

function route() {
  current?.abort();
  current = new AbortController();
  const hash = location.hash || '#/battle';
  const signedIn = token() !== null;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  document.getElementById('account-name').textContent = signedIn ? displayName() : '';

  if (hash === '#/signin' || !signedIn) {
    if (hash !== '#/signin') {
      next = hash;
      location.replace('#/signin');
      return;
    }
    showSignIn({ notice, next });
    notice = null;
    return;
  }

  for (const [pattern, view] of routes) {
    const match = pattern.exec(hash);
    if (match) {
      view(match, current.signal);
      return;
    }
  }
  show(h('h1', {}, 'Not found'), h('p', {}, 'There is nothing at this address. ', h('a', { href: '#/battle' }, 'Start a battle'), '.'));
}

signedOut.addEventListener('signedout', () => {
  signOut();
  if (location.hash === '#/signin') {
    return;
  }
  notice = 'Your sign-in is no longer valid. Please sign in again.';
  next = location.hash;
  location.hash = '#/signin';
});

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  next = null;
  location.hash = '#/signin';
});

window.addEventListener('hashchange', route);
route();

import { api } from '../api.js';
import { alertBox, h, sendOnEnter, show, titleFrom } from '../dom.js';
import { startWith } from './session.js';

// A new battle: the server draws two models and hides them; the person only writes the first prompt. The battle then
// continues in the session view, which streams it, takes follow-ups and the vote.
export function showBattle() {
  const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 4, required: true, placeholder: 'Ask something…' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Start the battle');
  const form = h('form', { id: 'battle', class: 'panel' },
    h('label', { for: 'prompt' }, 'Your message'),
    prompt,
    message,
    h('div', { class: 'row' }, submit));
  sendOnEnter(prompt, form);

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (!text) {
      prompt.focus();
      return;
    }
    submit.disabled = true;
    try {
      const session = await api('/api/sessions', { method: 'POST', body: { mode: 'battle', title: titleFrom(text) } });
      startWith(session.id, text);
      location.hash = `#/session/${session.id}`;
    } catch (error) {
      message.replaceChildren(alertBox(error.message));
      submit.disabled = false;
    }
  });

  show(
    h('h1', {}, 'Battle'),
    h('p', { class: 'hint' }, 'Two anonymous models answer at once. Vote for the better answer; then their names are revealed.'),
    form);
  prompt.focus();
}

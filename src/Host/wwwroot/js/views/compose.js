import { api } from '../api.js';
import { loadModels } from '../catalog.js';
import { alertBox, h, sendOnEnter, show, titleFrom } from '../dom.js';
import { startWith } from './session.js';

// A new session: compare (two models answer at once) or direct (one), then its first message.
export async function showCompose(signal) {
  show(h('h1', {}, 'New chat'), h('p', { class: 'loading' }, 'Loading the models…'));
  let models;
  try {
    models = await loadModels();
  } catch (error) {
    if (!signal.aborted) {
      show(h('h1', {}, 'New chat'), alertBox(error.message));
    }
    return;
  }
  if (signal.aborted) {
    return;
  }
  if (models.length === 0) {
    show(h('h1', {}, 'New chat'), alertBox('No model is available on this server.'));
    return;
  }

  const picker = (id, index) => h('select', { id, name: id, required: true },
    models.map((m, i) => h('option', { value: m.id, selected: i === Math.min(index, models.length - 1) }, m.display_name)));
  const modelA = picker('model-a', 0);
  const modelB = picker('model-b', 1);
  const modelBField = h('div', { class: 'field' }, h('label', { for: 'model-b' }, 'Model B'), modelB);
  const modelALabel = h('label', { for: 'model-a' }, 'Model A');
  const mode = value => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'mode', value, checked: value === 'compare' }),
    value === 'compare' ? 'Compare two models' : 'Chat with one model');
  const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 4, required: true, placeholder: 'Ask something…' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Send');

  const form = h('form', { id: 'compose', class: 'panel' },
    h('fieldset', {}, h('legend', {}, 'Mode'), mode('compare'), mode('direct')),
    h('div', { class: 'models' }, h('div', { class: 'field' }, modelALabel, modelA), modelBField),
    h('label', { for: 'prompt' }, 'Your message'),
    prompt,
    message,
    h('div', { class: 'row' }, submit));

  const currentMode = () => form.elements.mode.value;
  form.addEventListener('change', () => {
    modelBField.hidden = currentMode() !== 'compare';
    modelALabel.textContent = currentMode() === 'compare' ? 'Model A' : 'Model';
  });
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
      const compare = currentMode() === 'compare';
      const session = await api('/api/sessions', {
        method: 'POST',
        body: { mode: compare ? 'compare' : 'direct', model_a: modelA.value, model_b: compare ? modelB.value : undefined, title: titleFrom(text) },
      });
      startWith(session.id, text);
      location.hash = `#/session/${session.id}`;
    } catch (error) {
      message.replaceChildren(alertBox(error.message));
      submit.disabled = false;
    }
  });

  show(h('h1', {}, 'New chat'), form);
  prompt.focus();
}

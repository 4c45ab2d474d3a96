import { api } from '../api.js';
import { loadModels } from '../catalog.js';
import { alertBox, h, sendOnEnter, show, titleFrom } from '../dom.js';
import { letters, startWith } from './session.js';

// A new session: compare (two to four models answer at once) or direct (one), then its first message.
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

  // One picker per participant, two to start with; each added one proposes a model not picked yet.
  const fields = [];
  const list = h('div', { class: 'models' });
  const add = h('button', { type: 'button', class: 'secondary' }, 'Add model');
  const compare = () => form.elements.mode.value === 'compare';
  const layOut = () => {
    fields.forEach((field, index) => {
      const letter = letters[index].toUpperCase();
      field.select.id = field.select.name = `model-${letters[index]}`;
      field.label.htmlFor = field.select.id;
      field.label.textContent = compare() ? `Model ${letter}` : 'Model';
      field.remove?.setAttribute('aria-label', `Remove model ${letter}`);
      field.element.hidden = index > 0 && !compare();
    });
    add.hidden = !compare() || fields.length === letters.length;
  };
  const addField = () => {
    const picked = fields.map(f => f.select.value);
    const proposed = models.find(m => !picked.includes(m.id)) ?? models[0];
    const field = {
      label: h('label'),
      select: h('select', { required: true }, models.map(m => h('option', { value: m.id, selected: m === proposed }, m.display_name))),
      remove: fields.length < 2 ? null : h('button', { type: 'button', class: 'link-button' }, 'Remove'),
    };
    field.element = h('div', { class: 'field' }, field.label, h('div', { class: 'model-pick' }, field.select, field.remove));
    field.remove?.addEventListener('click', () => {
      fields.splice(fields.indexOf(field), 1);
      field.element.remove();
      layOut();
      add.focus();
    });
    fields.push(field);
    list.append(field.element);
    return field;
  };
  add.addEventListener('click', () => {
    const field = addField();
    layOut();
    field.select.focus();
  });

  const mode = value => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'mode', value, checked: value === 'compare' }),
    value === 'compare' ? 'Compare two to four models' : 'Chat with one model');
  const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 4, required: true, placeholder: 'Ask something…' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Send');

  const form = h('form', { id: 'compose', class: 'panel' },
    h('fieldset', {}, h('legend', {}, 'Mode'), mode('compare'), mode('direct')),
    list,
    h('div', { class: 'row' }, add),
    h('label', { for: 'prompt' }, 'Your message'),
    prompt,
    message,
    h('div', { class: 'row' }, submit));

  addField();
  addField();
  layOut();
  form.addEventListener('change', event => {
    if (event.target.name === 'mode') {
      layOut();
    }
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
      const picked = fields.map(f => f.select.value);
      const session = await api('/api/sessions', {
        method: 'POST',
        body: compare()
          ? { mode: 'compare', models: picked, title: titleFrom(text) }
          : { mode: 'direct', model_a: picked[0], title: titleFrom(text) },
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

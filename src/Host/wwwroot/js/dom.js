// Builds elements from data. Text always goes in as text nodes, never as markup, so nothing a model or a person
// types can become HTML here; the one place that produces markup is markdown.js.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else {
      element.append(child instanceof Node ? child : String(child));
    }
  }
}

// Puts a view into <main> and moves focus to its heading, so keyboard and screen-reader users land on the new content.
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

export function alertBox(message) {
  return h('p', { class: 'alert', role: 'alert' }, message);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso) {
  return dateFormat.format(new Date(iso));
}

// Enter sends, Shift+Enter starts a new line (and nothing is sent while an input method is composing).
export function sendOnEnter(textarea, form) {
  textarea.addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

const titleLength = 80;

// A session's title from its first message: one line, at most 80 characters.
export function titleFrom(text) {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= titleLength ? line : `${line.slice(0, titleLength - 1)}…`;
}

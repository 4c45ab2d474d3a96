import markdownit from '../lib/markdown-it/markdown-it.esm.min.mjs';

// Model output is untrusted. With `html: false` markdown-it escapes every tag in the text, and its link validation
// refuses javascript:, vbscript:, file: and data: addresses, so the rendered markup carries no script or handler.
const md = markdownit({ html: false, linkify: true, typographer: false });

// An image in a reply would make the browser fetch whatever address a model names; `![alt](url)` stays a plain link.
md.disable('image');

const renderLinkOpen = md.renderer.rules.link_open ?? ((tokens, index, options, env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet('target', '_blank');
  tokens[index].attrSet('rel', 'noopener noreferrer nofollow');
  return renderLinkOpen(tokens, index, options, env, self);
};

export function renderMarkdown(element, text) {
  element.innerHTML = md.render(text);
}

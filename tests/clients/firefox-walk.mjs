// Walks the web page in Debian's Firefox ESR through puppeteer-core over WebDriver BiDi, as the Chromium tests do with
// Playwright: sign-in, a battle voted by keyboard, the leaderboard, history, a compare stopped, and a reload in the
// middle of a compare turn. At each view it runs axe-core at a desktop and a phone size. It prints its record as one
// line of JSON; the test decides what passes.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';
import { setting } from './observe.mjs';

const base = setting('ARENA_URL');
const name = setting('ARENA_NAME', 'firefox');
const patience = Number(setting('ARENA_PATIENCE_MS', '60000'));
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const record = { steps: [], audits: [], problems: [], error: null };
const step = (what, details = {}) => {
  record.steps.push({ step: what, ...details });
  process.stderr.write(`step ${what}\n`);
};

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: setting('ARENA_FIREFOX', '/usr/bin/firefox-esr'),
  headless: true,
});

try {
  const page = await browser.newPage();
  await page.setViewport(sizes.desktop);
  page.setDefaultTimeout(patience);
  page.on('console', message => {
    if (['error', 'warn', 'warning'].includes(message.type())) {
      record.problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', error => record.problems.push(`uncaught: ${error.message ?? error}`));
  await walk(page);
} catch (error) {
  record.error = `${error.name}: ${error.message}`;
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(record)}\n`);

async function walk(page) {
  await page.goto(base);
  await page.waitForSelector('#sign-in-name');
  await audit(page, 'sign-in');
  await page.type('#sign-in-name', name);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#prompt');
  step('signed-in', { account: await text(page, '#account-name') });

  await send(page, 'Which sorting algorithm should I teach first?');
  await page.waitForFunction(bothMidAnswer, { polling: 'raf' }, 20);
  step('battle-both-streaming', {
    models: await texts(page, '.turn .reply .model'),
    // Each column's status badge is where a change of state is announced.
    status_live: await page.$$eval('.turn .reply', all => all.map(c => !!c.querySelector('.badge')?.closest('[aria-live], [role=status]'))),
  });
  await audit(page, 'battle-streaming');
  await page.waitForFunction(allSettled, {}, 1);
  await page.waitForSelector('#vote button');
  await page.evaluate(() => [...document.querySelectorAll('#vote button')].find(b => b.textContent === 'A is better').focus());
  await page.keyboard.press('Enter');
  await page.waitForSelector('#vote-result');
  await page.waitForSelector('#vote .revealed');
  step('battle-voted', {
    states: await states(page),
    result: await text(page, '#vote-result'),
    revealed: await text(page, '#vote .revealed'),
    models: await texts(page, '.turn .reply .model'),
    live: await page.evaluate(() => !!document.querySelector('#vote-result').closest('[aria-live]')),
    focus_order: await focusOrder(page),
  });
  await audit(page, 'battle-voted');

  await page.click('nav a[href="#/leaderboard"]');
  await page.waitForSelector('#leaderboard tbody tr');
  step('leaderboard', { rows: await texts(page, '#leaderboard tbody tr') });
  await audit(page, 'leaderboard');
  await page.click('#length-control');
  await page.waitForSelector("#leaderboard[data-control='length'] tbody tr");
  step('leaderboard-length', { rows: await texts(page, '#leaderboard tbody tr') });

  await page.click('nav a[href="#/history"]');
  await page.waitForSelector('#sessions li');
  step('history', { sessions: await texts(page, '#sessions li') });
  await audit(page, 'history');

  await page.click('nav a[href="#/new"]');
  await page.waitForSelector('#model-b');
  await page.select('#model-a', 'mock-swift');
  await page.select('#model-b', 'mock-sage');
  await send(page, 'Stop me halfway.');
  await page.waitForFunction(bothMidAnswer, { polling: 'raf' }, 10);
  step('compare-both-streaming');
  await audit(page, 'compare-streaming');
  await page.evaluate(() => [...document.querySelectorAll('button')].find(b => b.textContent === 'Stop').click());
  await page.waitForFunction(allSettled, {}, 1);
  step('compare-stopped', { states: await states(page), badges: await texts(page, '.turn .reply .badge') });

  await send(page, 'Does a reload lose my answers?');
  await page.waitForFunction(bothMidAnswer, { polling: 'raf' }, 20);
  const before = await texts(page, '.turn:last-child .reply .markdown');
  await page.reload();
  // Following the running turn means both columns are seen streaming again, with at least what was shown before.
  await page.waitForFunction(bothMidAnswer, { polling: 'raf' }, Math.min(...before.map(t => t.length)));
  step('reload-following', { before });
  await page.waitForFunction(allSettled, {}, 2);
  step('reload-settled', { states: await states(page), after: await texts(page, '.turn:last-child .reply .markdown') });
  await audit(page, 'compare-ended');
}

async function send(page, prompt) {
  await page.waitForFunction(() => !document.querySelector('#prompt')?.disabled);
  await page.type('#prompt', prompt);
  await page.keyboard.press('Enter');
}

function bothMidAnswer(least) {
  const columns = [...document.querySelectorAll('.turn:last-child .reply')];
  return columns.length === 2 && columns.every(c => c.dataset.state === 'streaming' && c.querySelector('.markdown').textContent.length >= least);
}

function allSettled(turns) {
  const columns = [...document.querySelectorAll('.turn .reply')];
  return document.querySelectorAll('.turn').length >= turns && columns.length > 0
    && columns.every(c => !['waiting', 'streaming'].includes(c.dataset.state));
}

function text(page, selector) {
  return page.$eval(selector, e => e.innerText);
}

function texts(page, selector) {
  return page.$$eval(selector, all => all.map(e => e.innerText));
}

function states(page) {
  return page.$$eval('.turn .reply', all => all.map(c => c.dataset.state));
}

/** Runs axe-core on the view as it is, at each size; the page's own CSP does not apply to evaluated source. */
async function audit(page, view) {
  if (!await page.evaluate(() => typeof window.axe === 'object')) {
    await page.evaluate(axeSource);
  }
  for (const [size, viewport] of Object.entries(sizes)) {
    await page.setViewport(viewport);
    const result = await page.evaluate(async () => {
      const outcome = await window.axe.run(document, { resultTypes: ['violations'] });
      return {
        passes: outcome.passes.length,
        violations: outcome.violations.map(v => ({ id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' ')) })),
      };
    });
    record.audits.push({ view, size, ...result });
  }
  await page.setViewport(sizes.desktop);
}

/** Tabs through the page from its start until focus comes back round, and tells whether each stop follows the last in the document. */
async function focusOrder(page) {
  // Firefox carries on from the last focused element after a blur, so the walk starts on the page's first stop.
  await page.focus('.skip-link');
  const stops = [];
  for (let press = 0; press < 40; press++) {
    if (press > 0) {
      await page.keyboard.press('Tab');
    }
    const stop = await page.evaluate(() => {
      const all = [...document.querySelectorAll('*')];
      const active = document.activeElement;
      return active && active !== document.body ? { index: all.indexOf(active), label: `${active.tagName.toLowerCase()} ${active.id || active.textContent.trim().slice(0, 30)}` } : null;
    });
    if (!stop || stop.index === stops[0]?.index) {
      break;
    }
    stops.push(stop);
  }
  return { stops: stops.map(s => s.label), in_order: stops.every((s, i) => i === 0 || s.index > stops[i - 1].index) };
}

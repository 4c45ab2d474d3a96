import { token } from './auth.js';

// A failure put the way a person understands it. `status` is the HTTP status (0: Arena could not be reached).
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// Raised for 401 so the page can send the person back to sign-in.
export const signedOut = new EventTarget();

export function authorizedHeaders(extra = {}) {
  return { Accept: 'application/json', Authorization: `Bearer ${token()}`, ...extra };
}

// Calls the JSON API. `notFound` is what a 404 means for this call ("the session no longer exists", …).
export async function api(path, { method = 'GET', body, signal, notFound } = {}) {
  const headers = authorizedHeaders(body === undefined ? {} : { 'Content-Type': 'application/json' });
  const response = await send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (!response.ok) {
    throw await errorFrom(response, { notFound });
  }
  return response.status === 204 ? null : response.json();
}

export async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }
    throw new ApiError('Arena could not be reached. Check your connection and try again.', 0);
  }
}

// Reads a problem+json answer and says in words what went wrong; never shows the JSON itself.
export async function errorFrom(response, { notFound } = {}) {
  let problem = {};
  if ((response.headers.get('Content-Type') ?? '').includes('json')) {
    problem = await response.json().catch(() => ({}));
  }
  const seconds = retryAfterSeconds(response);
  const later = seconds ? ` Try again in ${seconds} s.` : ' Try again in a moment.';
  switch (response.status) {
    case 400:
      return new ApiError(fieldMessages(problem) || text(problem.title) || 'The request was not accepted.', 400);
    case 401:
      signedOut.dispatchEvent(new Event('signedout'));
      return new ApiError('Your sign-in is no longer valid. Please sign in again.', 401);
    case 403:
      return new ApiError('You are not allowed to do that.', 403);
    case 404:
      return new ApiError(notFound ?? 'That no longer exists.', 404);
    case 409:
      return new ApiError(sentence(problem) || 'Something else is in progress here; wait for it to finish.', 409);
    case 413:
      return new ApiError(`Your message is too long. ${text(problem.detail)}`.trim(), 413);
    case 429:
      return new ApiError(`You have hit the rate limit.${later}`, 429);
    case 503:
      return new ApiError(`Arena is busy right now.${later}`, 503);
    default:
      return new ApiError('Arena had a problem answering. Please try again.', response.status);
  }
}

function retryAfterSeconds(response) {
  const value = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : null;
}

function fieldMessages(problem) {
  if (!problem.errors || typeof problem.errors !== 'object') {
    return '';
  }
  return Object.values(problem.errors).flat().map(text).filter(Boolean).join(' ');
}

function sentence(problem) {
  return [text(problem.title), text(problem.detail)].filter(Boolean).join(' ');
}

function text(value) {
  return typeof value === 'string' ? value : '';
}

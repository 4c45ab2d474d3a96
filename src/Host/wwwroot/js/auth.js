// The bearer token lives in sessionStorage: it survives a reload of this tab and ends with it.
const key = 'arena.token';

export function token() {
  return sessionStorage.getItem(key);
}

export function signIn(value) {
  sessionStorage.setItem(key, value);
}

export function signOut() {
  sessionStorage.removeItem(key);
}

// The name to show for the signed-in person: the token's `name`, else its `sub`. Display only; the server decides who
// the caller is.
export function displayName() {
  const value = token();
  try {
    const payload = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), c => c.charCodeAt(0))));
    return String(claims.name ?? claims.sub ?? 'signed in');
  } catch {
    return 'signed in';
  }
}

// Development servers issue a token for a typed name; elsewhere the route does not exist (404).
export async function requestDevelopmentToken(name) {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ name }),
  });
  return response;
}

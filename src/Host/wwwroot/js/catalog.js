import { api } from './api.js';

let models = null;

// The model catalog (GET /api/models), fetched once per page load.
export async function loadModels() {
  models ??= api('/api/models').then(answer => answer.models).catch(error => {
    models = null;
    throw error;
  });
  return models;
}

// A model's display name, or its id when the catalog no longer lists it.
export async function labeller() {
  const list = await loadModels();
  const names = new Map(list.map(m => [m.id, m.display_name]));
  return id => names.get(id) ?? id;
}

// The call-center agent's screen: sign in, find the caller, see them at a glance, record
// the call. Talks to /graphql only (api/http/agent_page.py serves these files).
import { h, replace } from './dom.js';
import { GraphQLClient, Refused, SignedOut } from './graphql.js';
import { kindLabel, language, t } from './i18n.js';
import { drawNeighborhood } from './neighborhood.js';
import { CALLER, CUSTOMER_CHANGED, HOUSEHOLD, RECORD_TOUCHPOINT, RESOLVE_COMPLAINT, SCREEN_POP, pickDetails } from './queries.js';
import * as view from './view.js';

const STORAGE_KEY = 'ckb-agent-credential'; // sessionStorage: gone when the tab closes
const root = document.getElementById('app');
document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
document.title = `ckb · ${t('title')}`;

const state = {
  client: null,
  customerId: null,
  customer: null,
  household: null,
  loadSeq: 0,
  stopLive: null,
  graph: null,
};
// Timings of the last screen pop, read by bench/screen_pop.py and the browser tests.
window.ckbAgent = { lastPop: null };

function randomKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// What the server refused this role, as a line for the agent; null when nothing was.
function refusal(errors) {
  const refused = (errors || []).find((e) => e.extensions && e.extensions.code === 'FORBIDDEN');
  return refused ? `${t('notAvailable')}: ${refused.message}` : null;
}

function errorText(error) {
  return t('error', { why: error.message || String(error) });
}

// ------------------------------------------------------------------------------ sign in

function showSignIn(message = '') {
  stopLive();
  state.client = null;
  const input = h('input', { id: 'credential', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'signin', onsubmit: (event) => { event.preventDefault(); signIn(input.value.trim()); } },
    h('h1', {}, `ckb · ${t('title')}`),
    h('h2', {}, t('signInTitle')),
    h('label', { for: 'credential' }, t('credential')),
    input,
    h('p', { class: 'muted' }, t('signInHelp')),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('button', { type: 'submit' }, t('signIn')),
  );
  replace(root, form);
  input.focus();
}

// The credential is tried once (a 401 answers a bad one) before the desk opens.
async function signIn(credential) {
  if (!credential) return;
  const client = new GraphQLClient(credential);
  try {
    await client.request('query SignIn { __typename }');
  } catch (error) {
    signOut(error instanceof SignedOut ? t('refused') : errorText(error));
    return;
  }
  window.sessionStorage.setItem(STORAGE_KEY, credential);
  state.client = client;
  showDesk();
}

function signOut(message = '') {
  window.sessionStorage.removeItem(STORAGE_KEY);
  showSignIn(message);
}

// ------------------------------------------------------------------------------ the desk

const parts = {};

function showDesk() {
  parts.search = h('input', {
    id: 'search', type: 'search', autocomplete: 'off', spellcheck: 'false',
    placeholder: t('searchHint'), 'aria-label': t('searchLabel'),
  });
  parts.live = h('span', { class: 'live', dataset: { field: 'live' } });
  parts.status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  parts.main = h('main', { id: 'main' });
  const searchForm = h(
    'form',
    { class: 'search', role: 'search', onsubmit: (event) => { event.preventDefault(); screenPop(parts.search.value); } },
    h('label', { for: 'search' }, t('searchLabel')),
    parts.search,
    h('button', { type: 'submit' }, t('search')),
  );
  const header = h(
    'header',
    {},
    h('div', { class: 'brand' }, `ckb · ${t('title')}`),
    searchForm,
    parts.live,
    h('button', { type: 'button', class: 'quiet', onclick: () => signOut() }, t('signOut')),
  );
  replace(root, header, parts.status, parts.main);
  parts.search.focus();
}

function setStatus(text, kind = '') {
  parts.status.className = `status ${kind}`;
  parts.status.textContent = text;
}

// ------------------------------------------------------------------------------ screen pop

async function screenPop(raw) {
  const text = raw.trim();
  if (!text || !state.client) return;
  const started = performance.now();
  setStatus(t('searching'));
  try {
    const { data, errors } = await state.client.request(SCREEN_POP, { text, id: text });
    const hits = data.searchCustomers || [];
    const refused = refusal(errors);
    if (refused && !data.byId && !hits.length) {
      clearCaller();
      setStatus(refused, 'warn');
    } else if (data.byId) {
      await openCaller(data.byId.id, started);
    } else if (hits.length === 1) {
      await openCaller(hits[0].customerId, started);
    } else if (hits.length === 0) {
      clearCaller();
      setStatus(t('noMatch', { text }), 'warn');
    } else {
      await showPickList(text, hits);
    }
  } catch (error) {
    handle(error);
  }
}

async function showPickList(text, hits) {
  clearCaller();
  const { data } = await state.client.request(
    pickDetails(hits.length),
    Object.fromEntries(hits.map((hit, i) => [`c${i}`, hit.customerId])),
  );
  setStatus('');
  const buttons = [];
  const items = hits.map((hit, i) => {
    const c = data[`c${i}`] || {};
    const own = (c.household || []).find((m) => m.customerId === hit.customerId);
    const button = h(
      'button',
      { type: 'button', class: 'pick', dataset: { customer: hit.customerId }, onclick: () => openCaller(hit.customerId, performance.now()) },
      h('strong', {}, c.name || hit.name || hit.customerId),
      h('span', {}, h('span', { class: `tier tier-${(c.valueTier || 'none').toLowerCase()}` }, c.valueTier || '—')),
      h('span', {}, c.phone || hit.phone || ''),
      h('span', {}, c.email || hit.email || ''),
      h('span', {}, [c.city, c.country].filter(Boolean).join(', ')),
      h('span', { class: 'muted' }, own ? own.role : ''),
      h('span', { class: 'muted' }, c.customerSince || ''),
      h('span', { class: 'muted' }, hit.matchedOn.join(', ')),
    );
    buttons.push(button);
    return h('li', {}, button);
  });
  const list = h('ol', {
    class: 'picklist',
    onkeydown: (event) => {
      const at = buttons.indexOf(document.activeElement);
      if (event.key === 'ArrowDown' && at >= 0) { event.preventDefault(); buttons[Math.min(at + 1, buttons.length - 1)].focus(); }
      if (event.key === 'ArrowUp' && at >= 0) { event.preventDefault(); if (at === 0) parts.search.focus(); else buttons[at - 1].focus(); }
    },
  }, items);
  const head = h(
    'div',
    { class: 'pickhead', 'aria-hidden': 'true' },
    ['name', 'tier', 'phone', 'email', 'city', 'role', 'customerSince', 'matchedOn'].map((k) => h('span', {}, t(k))),
  );
  replace(parts.main, h('section', { class: 'panel picks', dataset: { field: 'picklist' } }, h('h2', {}, t('pickTitle', { n: hits.length })), head, list));
  buttons[0].focus();
}

// ------------------------------------------------------------------------------ the caller

function clearCaller() {
  stopLive();
  state.customerId = null;
  state.customer = null;
  if (state.graph) { state.graph.destroy(); state.graph = null; }
  replace(parts.main);
}

async function loadCaller(id) {
  const seq = ++state.loadSeq;
  const phases = { callerStart: performance.now() };
  const { data, errors } = await state.client.request(CALLER, { id });
  phases.callerEnd = performance.now();
  const customer = data.customer;
  let household = null;
  const householdId = customer?.household?.[0]?.householdId;
  if (householdId) {
    const answer = await state.client.request(HOUSEHOLD, { id: householdId });
    household = answer.data.household;
  }
  phases.householdEnd = performance.now();
  return { seq, customer, household, errors, phases };
}

async function openCaller(id, started) {
  try {
    const loaded = await loadCaller(id);
    if (loaded.seq !== state.loadSeq) return;
    if (!loaded.customer) {
      clearCaller();
      setStatus(refusal(loaded.errors) || t('noMatch', { text: id }), 'warn');
      return;
    }
    stopLive();
    state.customerId = id;
    renderCaller(loaded.customer, loaded.household, true);
    setStatus('');
    startLive(id);
    document.getElementById('reason')?.focus();
    // Timed once the view has been painted: the frame after this one has begun.
    const rendered = performance.now();
    await new Promise((done) => window.requestAnimationFrame(() => window.setTimeout(done, 0)));
    const end = performance.now();
    const p = loaded.phases;
    window.ckbAgent.lastPop = {
      customerId: id,
      ms: end - started,
      // where the time went: the search, the caller's view, the household, drawing, painting
      searchMs: p.callerStart - started,
      callerMs: p.callerEnd - p.callerStart,
      householdMs: p.householdEnd - p.callerEnd,
      renderMs: rendered - p.householdEnd,
      paintMs: end - rendered,
    };
  } catch (error) {
    handle(error);
  }
}

async function refreshCaller(note) {
  const id = state.customerId;
  if (!id) return;
  try {
    const loaded = await loadCaller(id);
    if (loaded.seq !== state.loadSeq || id !== state.customerId || !loaded.customer) return;
    renderCaller(loaded.customer, loaded.household, false);
    if (note) setStatus(note, 'info');
  } catch (error) {
    handle(error);
  }
}

function renderCaller(customer, household, fresh) {
  state.customer = customer;
  state.household = household;
  if (fresh || !parts.caller) {
    parts.complaints = h('div', { class: 'band' });
    parts.left = h('div', { class: 'col left' });
    parts.middle = h('div', { class: 'col middle' });
    parts.right = h('div', { class: 'col right' });
    parts.graphBox = h('div', { class: 'graph', dataset: { field: 'graph' }, 'aria-hidden': 'true' });
    parts.neighbors = h('div', {});
    parts.household = h('div', {});
    parts.holdings = h('div', {});
    parts.consents = h('div', {});
    parts.timeline = h('div', {});
    parts.form = recordForm(customer.id);
    parts.middle.append(
      parts.household,
      h('section', { class: 'panel', dataset: { field: 'neighborhood' } }, h('h2', {}, t('neighborhood')), parts.graphBox, h('p', { class: 'muted small' }, t('neighborhoodHint')), parts.neighbors),
      parts.holdings,
    );
    parts.right.append(parts.form, parts.timeline, parts.consents);
    parts.caller = h('div', { class: 'caller', dataset: { customer: customer.id } }, parts.complaints, h('div', { class: 'grid' }, parts.left, parts.middle, parts.right));
    replace(parts.main, parts.caller);
  }
  parts.caller.dataset.customer = customer.id;
  replace(parts.complaints, view.complaintsBand(customer, resolveComplaint));
  replace(parts.left, view.summary(customer), view.churnPanel(customer), view.offerPanel(customer));
  replace(parts.household, view.householdPanel(customer, household, openOther));
  replace(parts.neighbors, view.neighborsList(customer, openOther));
  replace(parts.holdings, view.holdingsPanel(customer));
  replace(parts.timeline, view.timelinePanel(customer));
  replace(parts.consents, view.consentsPanel(customer));
  if (state.graph) state.graph.destroy();
  state.graph = drawNeighborhood(parts.graphBox, customer, { household: t('household') }, openOther);
}

function openOther(id) {
  openCaller(id, performance.now());
}

// ------------------------------------------------------------------------------ act

function recordForm(customerId) {
  let key = randomKey(); // one call, one touchpoint: a double submit is replayed, not doubled
  const kind = h('select', { id: 'kind', name: 'kind' },
    ['inquiry', 'complaint', 'service_request', 'sales_call'].map((k) => h('option', { value: k }, kindLabel(k))));
  const reason = h('input', { id: 'reason', name: 'reason', list: 'reasons', required: true, autocomplete: 'off' });
  const outcome = h('input', { id: 'outcome', name: 'outcome', list: 'outcomes', required: true, autocomplete: 'off' });
  const resolution = h('select', { id: 'resolution', name: 'resolution' },
    h('option', { value: 'resolved' }, t('resolved')), h('option', { value: 'open' }, t('open')));
  kind.addEventListener('change', () => { resolution.value = kind.value === 'complaint' ? 'open' : 'resolved'; });
  const message = h('p', { class: 'form-status', role: 'status' });
  const submit = h('button', { type: 'submit' }, t('save'));
  const form = h(
    'form',
    {
      class: 'panel record', dataset: { field: 'record' },
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        message.textContent = t('saving');
        const input = {
          customerId, channel: 'call_center', kind: kind.value, direction: 'inbound',
          reason: reason.value.trim(), outcome: outcome.value.trim(),
          resolutionStatus: ['complaint', 'inquiry'].includes(kind.value) ? resolution.value : null,
        };
        try {
          const { data, errors } = await state.client.request(RECORD_TOUCHPOINT, { input, key });
          const answer = data.recordTouchpoint;
          if (answer && answer.accepted) {
            message.textContent = t('saved');
            message.className = 'form-status ok';
            key = randomKey();
            reason.value = '';
            outcome.value = '';
            await refreshCaller();
            parts.search.focus();
            parts.search.select();
          } else {
            const why = answer ? answer.reasons.join('; ') : errors.map((e) => e.message).join('; ');
            message.textContent = t('notSaved', { why });
            message.className = 'form-status error';
          }
        } catch (error) {
          handle(error, message);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, t('recordTitle')),
    h('div', { class: 'row' }, h('label', { for: 'kind' }, t('kind')), kind),
    h('div', { class: 'row' }, h('label', { for: 'reason' }, t('reason')), reason),
    h('div', { class: 'row' }, h('label', { for: 'outcome' }, t('outcome')), outcome),
    h('div', { class: 'row' }, h('label', { for: 'resolution' }, t('resolution')), resolution),
    h('datalist', { id: 'reasons' }, ['billing_question', 'plan_change', 'address_change', 'technical', 'fees', 'service', 'cancel_request', 'offer'].map((r) => h('option', { value: r }))),
    h('datalist', { id: 'outcomes' }, ['answered', 'fixed', 'escalated', 'callback', 'offer_accepted', 'offer_declined'].map((o) => h('option', { value: o }))),
    submit,
    message,
  );
  return form;
}

async function resolveComplaint(tp, outcome, button) {
  button.disabled = true;
  try {
    const { data, errors } = await state.client.request(RESOLVE_COMPLAINT, { id: tp.id, outcome: outcome || null });
    const answer = data.resolveComplaint;
    if (answer && answer.accepted) {
      setStatus(`${t('resolved')}: ${tp.reason || tp.id}`, 'info');
      await refreshCaller();
    } else {
      setStatus(t('notSaved', { why: errors.map((e) => e.message).join('; ') }), 'warn');
      button.disabled = false;
    }
  } catch (error) {
    button.disabled = false;
    handle(error);
  }
}

// ------------------------------------------------------------------------------ live

function startLive(id) {
  stopLive();
  parts.live.textContent = '';
  state.stopLive = state.client.subscribe(
    CUSTOMER_CHANGED,
    { id },
    (data) => {
      const event = data.customerChanged;
      if (!event || event.customerId !== state.customerId) return;
      const what = [event.change, event.detail].filter(Boolean).join(' · ');
      refreshCaller(t('changed', { change: what }));
    },
    (live) => {
      parts.live.dataset.state = live;
      parts.live.textContent = live === 'live' ? `● ${t('live')}` : live === 'refused' ? t('liveRefused') : t('reconnecting');
    },
  );
}

function stopLive() {
  if (state.stopLive) state.stopLive();
  state.stopLive = null;
  if (parts.live) { parts.live.textContent = ''; delete parts.live.dataset.state; }
}

// ------------------------------------------------------------------------------ errors, keys

function handle(error, where = null) {
  if (error instanceof SignedOut) {
    signOut(t('refused'));
    return;
  }
  const text = error instanceof Refused ? `${t('notAvailable')}: ${error.message}` : errorText(error);
  if (where) {
    where.textContent = text;
    where.className = 'form-status error';
  } else {
    setStatus(text, error instanceof Refused ? 'warn' : 'error');
  }
}

document.addEventListener('keydown', (event) => {
  if (!parts.search || !state.client) return;
  const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName);
  if (event.key === '/' && !typing) {
    event.preventDefault();
    parts.search.focus();
    parts.search.select();
  } else if (event.key === 'Escape') {
    parts.search.focus();
    parts.search.select();
  }
});

const saved = window.sessionStorage.getItem(STORAGE_KEY);
if (saved) signIn(saved);
else showSignIn();

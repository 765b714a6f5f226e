// The caller at a glance: each panel built from the Caller and Household query results.
// A panel whose data the server refused (null with an error) says so and the rest shows.
import { h } from './dom.js';
import { formatDate, formatDay, formatMoney, kindLabel, t } from './i18n.js';

const CALL_CHANNEL = 'phone'; // the consent channel a call-center offer is made on

function panel(title, field, ...body) {
  return h('section', { class: 'panel', dataset: { field } }, h('h2', {}, title), ...body);
}

function empty(text) {
  return h('p', { class: 'empty' }, text);
}

function missing(value) {
  return value === null || value === undefined;
}

export function openComplaints(customer) {
  return (customer.touchpoints || []).filter((tp) => tp.kind === 'complaint' && tp.resolutionStatus === 'open');
}

// The outcome typed beside a complaint, and the button that closes it with that outcome.
function resolveControl(tp, onResolve) {
  const outcome = h('input', { class: 'outcome', 'aria-label': `${t('outcome')} (${tp.reason || tp.id})`, placeholder: t('outcome'), list: 'outcomes', autocomplete: 'off' });
  const button = h('button', { type: 'button', class: 'small', onclick: () => onResolve(tp, outcome.value.trim(), button) }, t('resolve'));
  outcome.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); button.click(); }
  });
  return h('span', { class: 'resolve' }, outcome, button);
}

// Open complaints first: a band across the top of the caller view.
export function complaintsBand(customer, onResolve) {
  const open = openComplaints(customer);
  if (!open.length) {
    return h('section', { class: 'complaints none', dataset: { field: 'complaints' } }, h('span', {}, t('noOpenComplaints')));
  }
  return h(
    'section',
    { class: 'complaints', dataset: { field: 'complaints' }, role: 'alert' },
    h('h2', {}, `${t('openComplaints')} (${open.length})`),
    h(
      'ul',
      {},
      open.map((tp) =>
        h(
          'li',
          { dataset: { touchpoint: tp.id } },
          h('span', { class: 'when' }, formatDay(tp.occurredAt)),
          h('span', { class: 'what' }, tp.reason || '—'),
          tp.outcome ? h('span', { class: 'muted' }, tp.outcome) : null,
          onResolve ? resolveControl(tp, onResolve) : null,
        ),
      ),
    ),
  );
}

export function summary(customer) {
  const value = customer.value;
  return h(
    'section',
    { class: 'panel summary', dataset: { field: 'summary' } },
    h('h1', { tabindex: '-1', id: 'caller-name' }, customer.name || customer.id),
    h(
      'div',
      { class: 'badges' },
      h('span', { class: `tier tier-${(customer.valueTier || 'none').toLowerCase()}`, dataset: { field: 'tier' } }, customer.valueTier || '—'),
      customer.status ? h('span', { class: 'badge' }, customer.status) : null,
      h('span', { class: 'muted id' }, customer.id),
    ),
    h(
      'div',
      { class: 'value' },
      h('div', { class: 'label' }, t('monthlyValueAll')),
      h('div', { class: 'big', dataset: { field: 'total-value' } }, missing(value) ? t('notAvailable') : formatMoney(value.totalMonthlyValue)),
      missing(value) ? null : h('div', { class: 'muted' }, t('linesHeld', { held: value.linesHeld, all: value.catalogueLines })),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('customerSince')),
      h('dd', { dataset: { field: 'since' } }, formatDate(customer.customerSince)),
      h('dt', {}, t('lifetimeValue')),
      h('dd', {}, formatMoney(customer.lifetimeValue)),
      customer.phone ? [h('dt', {}, '☎'), h('dd', {}, customer.phone)] : null,
      customer.email ? [h('dt', {}, '✉'), h('dd', {}, customer.email)] : null,
      customer.city || customer.country ? [h('dt', {}, '⌂'), h('dd', {}, [customer.city, customer.country].filter(Boolean).join(', '))] : null,
      h('dt', {}, t('sources')),
      h(
        'dd',
        { dataset: { field: 'sources' } },
        (customer.sources || []).map((s) => h('span', { class: 'chip', title: s.recordId || '' }, s.system || '?')),
      ),
    ),
  );
}

export function householdPanel(customer, household, onOpen) {
  const members = customer.household || [];
  if (!members.length) return panel(t('household'), 'household', empty(t('noHousehold')));
  const values = new Map((household?.members || []).map((m) => [m.id, m]));
  return panel(
    t('household'),
    'household',
    h(
      'div',
      { class: 'value' },
      h('span', { class: 'label' }, `${t('householdValue')}: `),
      h('strong', { dataset: { field: 'household-value' } }, household?.value ? formatMoney(household.value.totalMonthlyValue) : '—'),
    ),
    h(
      'ul',
      { class: 'members' },
      members.map((m) => {
        const known = values.get(m.customerId);
        const self = m.customerId === customer.id;
        return h(
          'li',
          {},
          self
            ? h('strong', {}, m.name || m.customerId)
            : h('button', { type: 'button', class: 'link', onclick: () => onOpen(m.customerId) }, m.name || m.customerId),
          h('span', { class: 'chip' }, m.role || '—'),
          m.ageBand ? h('span', { class: 'muted' }, m.ageBand) : null,
          known?.valueTier ? h('span', { class: `tier tier-${known.valueTier.toLowerCase()}` }, known.valueTier) : null,
          h('span', { class: 'num' }, known?.value ? formatMoney(known.value.totalMonthlyValue) : ''),
        );
      }),
    ),
  );
}

export function churnPanel(customer) {
  const risk = customer.churnRisk;
  if (missing(risk)) return panel(t('churnRisk'), 'churn', empty(t('notScored')));
  const score = risk.score ?? 0;
  const level = score >= 0.5 ? 'high' : score >= 0.3 ? 'medium' : 'low';
  const fill = h('span', { class: 'fill', dataset: { score: String(score) } });
  fill.style.width = `${Math.round(Math.min(Math.max(score, 0), 1) * 100)}%`; // CSSOM: CSP allows it
  return panel(
    t('churnRisk'),
    'churn',
    h(
      'div',
      { class: `risk risk-${level}` },
      h('div', { class: 'bar' }, fill),
      h('strong', {}, `${Math.round(score * 100)}%`),
      risk.lapsed ? h('span', { class: 'badge' }, t('lapsed')) : null,
    ),
    risk.signals.length
      ? h('ul', { class: 'signals' }, risk.signals.map((s) => h('li', {}, h('strong', {}, s.name), ' ', h('span', { class: 'muted' }, s.evidence))))
      : empty(t('noSignals')),
  );
}

export function offerPanel(customer) {
  const offers = customer.nextBestProducts || [];
  if (!offers.length) return panel(t('nextBestOffer'), 'offer', empty(t('noOffer')));
  return panel(
    t('nextBestOffer'),
    'offer',
    h(
      'ol',
      { class: 'offers' },
      offers.map((o, index) => {
        const allows = o.consentAllows || [];
        const ok = allows.includes(CALL_CHANNEL);
        return h(
          'li',
          { class: index === 0 ? 'best' : '' },
          h('div', {}, h('strong', {}, o.productName || o.name || o.line), ' ', h('span', { class: 'muted' }, o.name || o.line)),
          h('div', { class: 'why' }, `${t('why')}: ${o.evidence}`),
          h(
            'div',
            { class: ok ? 'consent ok' : 'consent no', dataset: { field: 'offer-consent' } },
            `${t('consentOnPhone')}: ${ok ? t('allowed') : t('notAllowed')}`,
          ),
        );
      }),
    ),
  );
}

export function consentsPanel(customer) {
  const consents = customer.consents || [];
  if (!consents.length) return panel(t('consents'), 'consents', empty(t('noConsents')));
  return panel(
    t('consents'),
    'consents',
    h(
      'ul',
      { class: 'consents' },
      consents.map((c) => {
        const state = c.withdrawnAt ? 'withdrawn' : c.granted ? 'granted' : 'notGiven';
        return h('li', { class: state }, h('span', {}, `${c.purpose || '?'} · ${c.channel || 'any'}`), h('span', { class: 'state' }, t(state)));
      }),
    ),
  );
}

export function holdingsPanel(customer) {
  const held = (customer.holdings || []).filter((x) => !x.status || x.status === 'active');
  return panel(
    t('holdings'),
    'holdings',
    held.length
      ? h(
          'ul',
          { class: 'holdings' },
          held.map((x) => h('li', {}, h('span', {}, x.productName || x.productId), h('span', { class: 'muted' }, x.line || ''), h('span', { class: 'num' }, formatMoney(x.monthlyValue)))),
        )
      : empty('—'),
  );
}

export function timelinePanel(customer) {
  const recent = (customer.touchpoints || []).slice(0, 12);
  return panel(
    t('timeline'),
    'timeline',
    recent.length
      ? h(
          'ol',
          { class: 'timeline' },
          recent.map((tp) =>
            h(
              'li',
              { class: `kind-${tp.kind}`, dataset: { touchpoint: tp.id } },
              h('span', { class: 'when' }, formatDay(tp.occurredAt)),
              h(
                'span',
                { class: 'what' },
                `${kindLabel(tp.kind)} · ${tp.channel || ''} `,
                tp.resolutionStatus ? h('span', { class: `chip status-${tp.resolutionStatus}` }, tp.resolutionStatus === 'open' ? t('open') : t('resolvedState')) : null,
              ),
              h('span', { class: 'detail' }, [tp.reason, tp.outcome].filter(Boolean).join(' → ')),
            ),
          ),
        )
      : empty(t('noTouchpoints')),
  );
}

// The people in the graph, as a list a keyboard can reach.
export function neighborsList(customer, onOpen) {
  const people = new Map();
  for (const m of customer.household || []) if (m.customerId !== customer.id) people.set(m.customerId, `${m.name || m.customerId} (${m.role || t('household')})`);
  for (const r of customer.relationships || []) if (!people.has(r.customerId)) people.set(r.customerId, `${r.name || r.customerId} (${r.kind || ''})`);
  if (!people.size) return null;
  return h(
    'ul',
    { class: 'neighbors', dataset: { field: 'neighbors' } },
    [...people.entries()].map(([id, label]) => h('li', {}, h('button', { type: 'button', class: 'link', dataset: { customer: id }, onclick: () => onOpen(id) }, label))),
  );
}

// The caller's neighborhood drawn with cytoscape (vendor/, served by ckb): the caller in
// the middle, household members and related customers around, products held outside.
// Clicking a person opens them.
import cytoscape from './vendor/cytoscape.esm.min.mjs';

const STYLE = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      color: '#1f2933',
      'text-wrap': 'wrap', // name, then how they are linked (on the node: the lines are short)
      'text-max-width': 120,
      width: 26,
      height: 26,
    },
  },
  {
    selector: 'node.caller',
    style: { 'background-color': '#0b6bcb', width: 40, height: 40, 'font-weight': 'bold' },
  },
  { selector: 'node.member', style: { 'background-color': '#2f9e6b' } },
  { selector: 'node.related', style: { 'background-color': '#c77c0e' } },
  {
    selector: 'node.product',
    style: { shape: 'round-rectangle', 'background-color': '#9aa5b1', width: 20, height: 16 },
  },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': '#c3cbd4',
      'curve-style': 'bezier',
    },
  },
  { selector: 'node.person:active, node.person:selected', style: { 'border-width': 3, 'border-color': '#102a43' } },
];

// The graph's nodes and edges from the caller's view (customer query result).
export function elementsFor(customer, labels) {
  const nodes = new Map();
  const edges = [];
  const person = (id, name, cls) => {
    if (!nodes.has(id)) nodes.set(id, { data: { id, label: name || id, kind: 'person' }, classes: `person ${cls}` });
  };
  person(customer.id, customer.name, 'caller');
  // One line per person; the person's label says every way they are linked (partner · spouse).
  const links = new Map();
  const link = (id, label) => {
    if (!links.has(id)) links.set(id, []);
    if (label && !links.get(id).includes(label)) links.get(id).push(label);
  };
  for (const member of customer.household || []) {
    if (member.customerId === customer.id) continue;
    person(member.customerId, member.name, 'member');
    link(member.customerId, member.role || labels.household);
  }
  for (const other of customer.relationships || []) {
    person(other.customerId, other.name, 'related');
    link(other.customerId, other.kind);
  }
  for (const [id, names] of links) {
    const node = nodes.get(id);
    node.data.label = `${node.data.label}\n${names.join(' · ')}`;
    edges.push({ data: { id: `link-${id}`, source: customer.id, target: id } });
  }
  for (const holding of customer.holdings || []) {
    if (holding.status && holding.status !== 'active') continue;
    const id = `product:${holding.productId || holding.accountId}`;
    if (!nodes.has(id)) nodes.set(id, { data: { id, label: holding.productName || holding.productId, kind: 'product' }, classes: 'product' });
    edges.push({ data: { id: `holds-${holding.accountId}`, source: customer.id, target: id } });
  }
  return [...nodes.values(), ...edges];
}

export function drawNeighborhood(container, customer, labels, onOpen) {
  const graph = cytoscape({
    container,
    elements: elementsFor(customer, labels),
    style: STYLE,
    layout: {
      name: 'concentric',
      concentric: (node) => (node.hasClass('caller') ? 3 : node.hasClass('product') ? 1 : 2),
      levelWidth: () => 1,
      minNodeSpacing: 26,
      animate: false,
      padding: 12,
    },
    minZoom: 0.4,
    maxZoom: 2.5,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
  });
  graph.on('tap', 'node.person', (event) => {
    const id = event.target.id();
    if (id !== customer.id) onOpen(id);
  });
  graph.on('mouseover', 'node.person', () => { container.style.cursor = 'pointer'; });
  graph.on('mouseout', 'node.person', () => { container.style.cursor = ''; });
  return graph;
}

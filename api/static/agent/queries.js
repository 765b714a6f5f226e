// Every GraphQL operation the agent's screen sends. None asks for a field the agent role
// may not read (nationalId, creditProfile, demographics): the screen never shows them.

// Screen pop: the text as a golden customer ID and as a search (phone in any spelling,
// email, a source system's ID, a name in characters or pinyin), in one request.
export const SCREEN_POP = `query ScreenPop($text: String!, $id: ID!) {
  byId: customer(id: $id) { id }
  searchCustomers(text: $text, first: 8) { customerId name email phone matchedOn similarity }
}`;

// What tells the hits apart in the pick list: up to eight customers by ID (aliases).
export function pickDetails(count) {
  const parts = [];
  const vars = [];
  for (let i = 0; i < count; i += 1) {
    vars.push(`$c${i}: ID!`);
    parts.push(
      `  c${i}: customer(id: $c${i}) { id name phone email city country valueTier customerSince` +
        ` household { customerId role } }`,
    );
  }
  return `query PickList(${vars.join(', ')}) {\n${parts.join('\n')}\n}`;
}

export const CALLER = `query Caller($id: ID!) {
  customer(id: $id) {
    id kind name email phone city country customerSince status valueTier lifetimeValue
    value { totalMonthlyValue linesHeld catalogueLines byLine { line name holdings monthlyValue } }
    household { householdId customerId name role ageBand }
    holdings { accountId productId productName line status role monthlyValue }
    touchpoints(first: 100) { id occurredAt channel kind reason outcome resolutionStatus agentId }
    churnRisk { score lapsed signals { name weight evidence } }
    nextBestProducts(first: 3) {
      line name productId productName score evidence eligibility consentAllows
    }
    consents { id purpose channel granted givenAt withdrawnAt }
    sources { system recordId }
    relationships { customerId name kind direction since }
  }
}`;

export const HOUSEHOLD = `query Household($id: ID!) {
  household(id: $id) {
    id
    value { totalMonthlyValue linesHeld }
    members { id name valueTier value { totalMonthlyValue } }
  }
}`;

export const RECORD_TOUCHPOINT = `mutation RecordCall($input: TouchpointInput!, $key: String) {
  recordTouchpoint(input: $input, idempotencyKey: $key) { accepted reasons recordId }
}`;

export const CUSTOMER_CHANGED = `subscription Changed($id: ID!) {
  customerChanged(id: $id) { customerId change at detail }
}`;

export const RESOLVE_COMPLAINT = `mutation Resolve($id: ID!, $outcome: String) {
  resolveComplaint(touchpointId: $id, outcome: $outcome) { accepted reasons recordId }
}`;

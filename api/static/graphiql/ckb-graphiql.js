// Starts the GraphiQL IDE on the page ckb serves at /graphql (api/http/graphiql.py), after React,
// React DOM, GraphiQL and its explorer plugin (vendor/). The page has no inline script (its
// Content-Security-Policy allows scripts from the server only): settings come in a JSON block.
// Queries go to the page's own path; subscriptions to the same path over graphql-transport-ws,
// with the Headers editor's headers as the connection_init payload.
(function () {
  'use strict';

  const EXAMPLE = `# ckb's GraphQL API. Ctrl-Enter (or the run button) runs the query; the
# documentation and the explorer are in the side bar.
#
# Every request names its caller: the Headers tab below takes
#   {"authorization": "Bearer <API key or JWT>"}
# (docs/api.md has the table of who may do what).
{
  searchCustomers(text: "wang wei", first: 3) {
    customerId
    name
    matchedOn
  }
}
`;

  const config = JSON.parse(document.getElementById('ckb-graphiql-config').textContent);
  const parameters = new URLSearchParams(window.location.search);
  const url = new URL(window.location.pathname, window.location.href).toString();
  const fetcher = GraphiQL.createFetcher({
    url,
    subscriptionUrl: url.replace(/^http/, 'ws'), // https: gives wss:
  });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  // GraphiQL keeps its tabs and history in localStorage, and its history keeps each run's
  // headers (the credential) even with shouldPersistHeaders off: this storage drops them.
  const KEEPS_HEADERS = new Set(['graphiql:queries', 'graphiql:favorites', 'graphiql:tabState']);
  const OURS = (key) => key.startsWith('graphiql:');
  const storage = {
    getItem: (key) => window.localStorage.getItem(key),
    setItem(key, value) {
      const kept = KEEPS_HEADERS.has(key)
        ? JSON.stringify(JSON.parse(value), (name, item) => (name === 'headers' ? undefined : item))
        : value;
      window.localStorage.setItem(key, kept);
    },
    removeItem: (key) => window.localStorage.removeItem(key),
    get length() {
      return Object.keys(window.localStorage).filter(OURS).length;
    },
    clear() {
      Object.keys(window.localStorage).filter(OURS).forEach((key) => window.localStorage.removeItem(key));
    },
  };

  // The query and variables stay in the address (?q=...&variables=...), so it can be shared;
  // headers never do.
  function remember(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    window.history.replaceState(null, '', search ? `?${search}` : window.location.pathname);
  }

  function CkbGraphiQL() {
    return React.createElement(GraphiQL, {
      fetcher,
      plugins: [explorer],
      defaultQuery: EXAMPLE,
      query: parameters.get('q') ?? undefined,
      variables: parameters.get('variables') ?? undefined,
      headers: config.headers ?? undefined,
      defaultHeaders: config.headers ?? undefined,
      onEditQuery: (query) => remember('q', query),
      onEditVariables: (variables) => remember('variables', variables),
      defaultEditorToolsVisibility: config.headers ? 'headers' : true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      storage,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(CkbGraphiQL),
  );
})();

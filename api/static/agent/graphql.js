// The page's only way to the server: GraphQL over HTTP on /graphql and subscriptions over
// graphql-transport-ws on the same path, both with the credential the agent signed in with.

export class SignedOut extends Error {}

// Every field asked for needs a role the credential lacks (FORBIDDEN): nothing came back.
export class Refused extends Error {}

export class GraphQLClient {
  constructor(credential) {
    this.credential = credential;
    this.url = new URL('/graphql', window.location.href).toString();
  }

  // Runs one operation. Resolves to {data, errors}: a field the role may not read comes
  // back null with an error, and the page shows the rest. A refused credential (401)
  // rejects with SignedOut; a request that could not run at all rejects with an Error.
  async request(query, variables = {}) {
    let response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${this.credential}`,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new Error(`the server cannot be reached (${error.message})`);
    }
    if (response.status === 401) throw new SignedOut('the key or token was not accepted');
    let body;
    try {
      body = await response.json();
    } catch {
      throw new Error(`the server answered HTTP ${response.status}`);
    }
    const errors = body.errors || [];
    if (!body.data) {
      if (errors.length && errors.every((e) => e.extensions && e.extensions.code === 'FORBIDDEN')) {
        throw new Refused(errors[0].message);
      }
      throw new Error(errors.map((e) => e.message).join('; ') || `HTTP ${response.status}`);
    }
    return { data: body.data, errors };
  }

  // One subscription on its own socket; reconnects with back-off until stopped.
  // onEvent receives each `next` payload's data.
  subscribe(query, variables, onEvent, onState = () => {}) {
    let socket = null;
    let stopped = false;
    let delay = 500;
    const open = () => {
      if (stopped) return;
      socket = new WebSocket(this.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.addEventListener('open', () => {
        socket.send(
          JSON.stringify({
            type: 'connection_init',
            payload: { authorization: `Bearer ${this.credential}` },
          }),
        );
      });
      socket.addEventListener('message', (message) => {
        const frame = JSON.parse(message.data);
        if (frame.type === 'connection_ack') {
          delay = 500;
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
          onState('live');
        } else if (frame.type === 'ping') {
          socket.send(JSON.stringify({ type: 'pong' }));
        } else if (frame.type === 'next' && frame.payload && frame.payload.data) {
          onEvent(frame.payload.data);
        } else if (frame.type === 'error') {
          onState('refused');
          stopped = true;
          socket.close();
        }
      });
      socket.addEventListener('close', () => {
        if (stopped) return;
        onState('reconnecting');
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      });
    };
    open();
    return () => {
      stopped = true;
      if (socket && socket.readyState <= WebSocket.OPEN) {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ id: '1', type: 'complete' }));
        }
        socket.close();
      }
    };
  }
}

// Local mode only: let Amplify's own AppSync real-time provider reach the local server over ws://.
//
// Amplify JS v6 derives the real-time URL from `data.url` and always rewrites the scheme to
// `wss://` (packages/api-graphql/src/Providers/AWSWebSocketProvider/appsyncUrl.ts:
// getRealtimeEndpointUrl: `.replace('https://', 'wss://').replace('http://', 'wss://')`), then
// opens it with the global `new WebSocket(url, subprotocol)`. The local stack serves plain HTTP on
// loopback, so that URL cannot connect. Rather than re-implementing the AppSync protocol in a
// second client, we keep Amplify's provider (handshake, `header-…` subprotocol auth, keep-alive,
// reconnection, ConnectionState events) and wrap the global WebSocket so that exactly the derived
// loopback URL (`wss://<data.url host:port>/…`) is opened as `ws://` instead. Nothing else is
// touched, and it is only installed when data.url is http:// on a loopback host (see README).

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.'));
}

let installed = false;

export function installLoopbackWebSocket(dataUrl: URL): void {
  if (installed || !isLoopbackHttp(dataUrl)) return;
  const Native = globalThis.WebSocket;
  const securePrefix = `wss://${dataUrl.host}/`;
  class LoopbackWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      const text = String(url);
      super(text.startsWith(securePrefix) ? `ws://${text.slice('wss://'.length)}` : text, protocols);
    }
  }
  globalThis.WebSocket = LoopbackWebSocket;
  installed = true;
}
